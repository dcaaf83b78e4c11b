import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { logger } from '../../functions/observability/logger.js';
import { newKeyId } from '../../functions/shared/ids.js';
import { routes } from '../../functions/routes.js';
import { flushUsage, pendingUsageWrites, settleUsageFlushes } from '../../functions/usage/usage-counts.js';
import { requestFrom } from '../support/from-address.js';
import { type CreatedKey, createKey, introspect, type KeygateWorld, keygateWorld, START, tokenFor } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * Usage counts (functions/usage/): what a key's uses leave in the table once the process flushes,
 * and GET /v1/keys/{id}/usage over them. Each test has its own table; the process-wide buffer keeps
 * one table's counts apart from another's. Flushes are forced (flushUsage) unless a test is about
 * when they happen.
 */
let world: KeygateWorld;

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY_S = 86_400;

async function usageItems(keyId: string) {
  await flushUsage(world.deps);
  const items = (await storedItems(world.deps)).filter((item) => item.pk === `USAGE#${keyId}`);
  return Object.fromEntries(items.map((item) => [item.sk as string, item]));
}

const get = (key: CreatedKey | string, path: string) => world.api('GET', path, { key: typeof key === 'string' ? key : key.key });
const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

describe('usage counts', () => {
  it('counts a known key\'s uses by outcome in a minute item (kept a day) and an hour item (kept 90 days)', async () => {
    world = await keygateWorld();
    const key = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    for (let i = 0; i < 3; i++) expect((await get(key, '/v1/catalog')).status).toBe(200);
    expect((await world.api('POST', `/v1/keys/${key.id}/suspend`, { key: world.admin })).status).toBe(200);
    expect((await get(key, '/v1/catalog')).status).toBe(401);
    // The wrong secret for a known id, and verify naming the suspended key: refused as well.
    const wrongSecret = issueSecret(deploymentConfig.keyPrefix, key.id).keyString;
    expect((await get(wrongSecret, '/v1/catalog')).status).toBe(401);
    const verified = await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: key.key } });
    expect(verified.json).toMatchObject({ valid: false, code: 'suspended' });

    const items = await usageItems(key.id);
    const start = START.getTime();
    const [minute, hour] = [`M#${START.toISOString()}`, `H#${START.toISOString()}`];
    expect(items).toEqual({
      [minute]: { pk: `USAGE#${key.id}`, sk: minute, allowed: 3, refused: 3, ttl: (start + MINUTE) / 1000 + DAY_S },
      [hour]: { pk: `USAGE#${key.id}`, sk: hour, allowed: 3, refused: 3, ttl: (start + HOUR) / 1000 + 90 * DAY_S },
    });
  });

  it('counts the caller key\'s own uses; one lacking the route\'s permission (403) or verify\'s (insufficient_permissions) is refused', async () => {
    world = await keygateWorld();
    const reader = await createKey(world, { owner: 'acme', permissions: ['alerts:read', 'key-verification:read'] });
    expect((await get(reader, '/v1/keys')).status).toBe(403);
    const verified = await world.api('POST', '/v1/keys/verify', { key: reader.key, body: { key: reader.key, permission: 'cases:read' } });
    expect(verified.json).toMatchObject({ valid: false, code: 'insufficient_permissions' });
    // The verifying service's key (reader, allowed) and the verified key (reader, refused) are both uses.
    const items = await usageItems(reader.id);
    expect(items[`M#${START.toISOString()}`]).toMatchObject({ allowed: 1, refused: 2 });
    const adminId = world.admin.split('_')[1] as string;
    // The admin's uses since the world began: create the key. Nothing else touched it.
    expect((await usageItems(adminId))[`H#${START.toISOString()}`]).toMatchObject({ allowed: 1 });
  });

  it('counts access-token uses against the token\'s key (token endpoint, authorizer, introspection; a refused address or scope)', async () => {
    vi.spyOn(logger, 'info').mockImplementation(() => {});
    world = await keygateWorld([...routes, ...localDemoRoutes({ cacheTtlSeconds: 0 })]);
    const key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], allowedIps: ['127.0.0.1/32'] });
    const token = await tokenFor(world, key);
    for (let i = 0; i < 2; i++) expect((await fetch(`${world.url}/demo/alerts`, { headers: bearer(token) })).status).toBe(200);
    expect((await requestFrom('127.0.0.2', `${world.url}/demo/alerts`, { headers: bearer(token) })).status).toBe(403);
    // The key itself at the authorizer, lacking the route's permission: refused.
    expect((await fetch(`${world.url}/demo/cloud-accounts/acct-1`, { headers: bearer(key.key) })).status).toBe(403);
    // A token asked for a scope the key lacks: refused; the token introspected by a resource server: allowed.
    await expect(tokenFor(world, key, 'cases:read')).rejects.toThrow('invalid_scope');
    expect((await introspect(world, token)).json.active).toBe(true);
    const items = await usageItems(key.id);
    expect(items[`H#${START.toISOString()}`]).toMatchObject({ allowed: 4, refused: 3 });
  });

  it('counts nothing for ids the table does not hold: a guesser adds nothing to the buffer', async () => {
    world = await keygateWorld();
    const real = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    await flushUsage(world.deps);
    for (let i = 0; i < 20; i++) {
      const made = issueSecret(deploymentConfig.keyPrefix, newKeyId()).keyString;
      expect((await get(made, '/v1/catalog')).status).toBe(401);
    }
    expect(pendingUsageWrites(world.deps)).toBe(0);
    expect((await get(real, '/v1/catalog')).status).toBe(200);
    expect(pendingUsageWrites(world.deps)).toBe(2);
  });

  it('flushes on its own once the buffer holds usage.flushAtEntries writes, within the request that filled it', async () => {
    world = await keygateWorld();
    world.deps.config = { ...deploymentConfig, usage: { ...deploymentConfig.usage, flushAtEntries: 2 } };
    const key = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    await settleUsageFlushes();
    expect((await get(key, '/v1/catalog')).status).toBe(200);
    await settleUsageFlushes();
    expect(pendingUsageWrites(world.deps)).toBe(0);
    const items = (await storedItems(world.deps)).filter((item) => item.pk === `USAGE#${key.id}`);
    expect(items.map((item) => [item.sk, item.allowed])).toEqual([
      [`H#${START.toISOString()}`, 1],
      [`M#${START.toISOString()}`, 1],
    ]);
  });

  it('keeps the counts of a failed flush (logged, counted) and writes them once on the next', async () => {
    world = await keygateWorld();
    const key = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    await flushUsage(world.deps);
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const original = world.deps.ddb;
    const failing = Object.create(original) as typeof original;
    failing.send = (async (command: unknown, ...rest: unknown[]) => {
      if (command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('USAGE#')) {
        throw Object.assign(new Error('injected'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      }
      return (original.send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof original.send;
    world.deps.ddb = failing;
    onTestFinished(() => {
      world.deps.ddb = original;
    });
    for (let i = 0; i < 2; i++) expect((await get(key, '/v1/catalog')).status).toBe(200);
    await flushUsage(world.deps);
    expect(pendingUsageWrites(world.deps)).toBe(2);
    expect(warn).toHaveBeenCalledWith('could not write usage counts; they are kept for the next flush', expect.objectContaining({ failedWrites: 2 }));
    expect((await storedItems(world.deps)).filter((item) => item.pk === `USAGE#${key.id}`)).toEqual([]);

    world.deps.ddb = original;
    expect((await get(key, '/v1/catalog')).status).toBe(200);
    const items = await usageItems(key.id);
    expect(items[`M#${START.toISOString()}`]).toMatchObject({ allowed: 3 });
    expect(items[`H#${START.toISOString()}`]).toMatchObject({ allowed: 3 });
    expect(pendingUsageWrites(world.deps)).toBe(0);
  });

  it('holds at most usage.maxBufferedEntries writes: counts beyond are dropped and counted, never an error', async () => {
    world = await keygateWorld();
    const keys = [];
    for (let i = 0; i < 2; i++) keys.push(await createKey(world, { owner: 'acme', permissions: ['keys:read'] }));
    await flushUsage(world.deps);
    world.deps.config = { ...deploymentConfig, usage: { flushIntervalSeconds: 300, flushAtEntries: 2, maxBufferedEntries: 2 } };
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const original = world.deps.ddb;
    const failing = Object.create(original) as typeof original;
    failing.send = (async (command: unknown, ...rest: unknown[]) => {
      if (command instanceof UpdateCommand && String(command.input.Key?.pk).startsWith('USAGE#')) throw new Error('injected');
      return (original.send as (...a: unknown[]) => unknown)(command, ...rest);
    }) as typeof original.send;
    world.deps.ddb = failing;
    onTestFinished(() => {
      world.deps.ddb = original;
      world.deps.config = deploymentConfig;
    });
    for (const key of keys) expect((await get(key, '/v1/catalog')).status).toBe(200);
    await settleUsageFlushes();
    expect(pendingUsageWrites(world.deps)).toBe(2);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('usage counts dropped'), expect.anything());
  });
});

describe('GET /v1/keys/{id}/usage', () => {
  async function usedKey() {
    world = await keygateWorld();
    const key = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    // 12:00: 2 allowed; 12:01: 1 allowed, 1 refused (wrong permission); 14:30: 1 allowed.
    for (let i = 0; i < 2; i++) await get(key, '/v1/catalog');
    world.clock.advance(MINUTE);
    await get(key, '/v1/catalog');
    await get(key, '/v1/audit');
    world.clock.advance(2 * HOUR + 29 * MINUTE);
    await get(key, '/v1/catalog');
    await flushUsage(world.deps);
    return key;
  }

  it('answers buckets by minute or by hour with their counts and totals (sparse: buckets without uses left out)', async () => {
    const key = await usedKey();
    const byMinute = await get(key, `/v1/keys/${key.id}/usage?granularity=minute&from=2026-11-23T12:00:00Z&to=2026-11-23T13:00:00Z`);
    expect(byMinute.status).toBe(200);
    expect(byMinute.json).toEqual({
      keyId: key.id,
      granularity: 'minute',
      from: '2026-11-23T12:00:00.000Z',
      to: '2026-11-23T13:00:00.000Z',
      buckets: [
        { start: '2026-11-23T12:00:00.000Z', allowed: 2, rateLimited: 0, refused: 0 },
        { start: '2026-11-23T12:01:00.000Z', allowed: 1, rateLimited: 0, refused: 1 },
      ],
      total: { allowed: 3, rateLimited: 0, refused: 1 },
    });
    // Default: the last 24 hours by hour, the current hour included (14:30; the GET just made is not flushed yet).
    const byHour = await get(key, `/v1/keys/${key.id}/usage`);
    expect(byHour.json).toMatchObject({ granularity: 'hour', from: '2026-11-22T15:00:00.000Z', to: '2026-11-23T15:00:00.000Z' });
    expect(byHour.json.buckets).toEqual([
      { start: '2026-11-23T12:00:00.000Z', allowed: 3, rateLimited: 0, refused: 1 },
      { start: '2026-11-23T14:00:00.000Z', allowed: 1, rateLimited: 0, refused: 0 },
    ]);
    expect(byHour.json.total).toEqual({ allowed: 4, rateLimited: 0, refused: 1 });
  });

  it('shows the last 24 hours\' total in the key details', async () => {
    const key = await usedKey();
    const details = await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin });
    expect(details.json.usage24h).toEqual({ since: '2026-11-22T15:00:00.000Z', allowed: 4, rateLimited: 0, refused: 1 });
    world.clock.advance(22 * HOUR);
    const later = await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin });
    expect(later.json.usage24h).toMatchObject({ since: '2026-11-23T13:00:00.000Z', allowed: 1, refused: 0 });
  });

  it.each([
    ['from=yesterday', 'from must be an ISO 8601 date-time'],
    ['granularity=day', 'granularity must be minute or hour'],
    ['from=2026-11-23T13:00:00Z&to=2026-11-23T12:00:00Z', 'must be before to'],
    ['from=2026-11-23T12:00:00Z&to=2026-11-23T12:00:00Z', 'must be before to'],
    ['granularity=minute&from=2026-11-22T11:00:00Z&to=2026-11-23T12:00:00Z', 'at most 24 hours'],
    ['granularity=hour&from=2026-08-01T00:00:00Z&to=2026-11-23T12:00:00Z', 'at most 90 days'],
    ['limit=5', ''],
  ])('answers 400 for %s', async (query, message) => {
    world = await keygateWorld();
    const key = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    const response = await get(world.admin, `/v1/keys/${key.id}/usage?${query}`);
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain(message);
  });

  it('answers 404 for a key the caller may not see, as GET /v1/keys/{id} does, and 200 for its own', async () => {
    world = await keygateWorld();
    const other = await createKey(world, { owner: 'globex', permissions: ['keys:read'] });
    const mine = await createKey(world, { owner: 'acme', permissions: ['keys:read'] });
    await get(other, '/v1/catalog');
    await flushUsage(world.deps);
    expect((await get(mine, `/v1/keys/${other.id}/usage`)).status).toBe(404);
    expect((await get(mine, `/v1/keys/${other.id}`)).status).toBe(404);
    expect((await get(mine, `/v1/keys/${mine.id}/usage`)).status).toBe(200);
    expect((await get(world.admin, `/v1/keys/${other.id}/usage`)).json.total.allowed).toBe(1);
  });
});
