import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it, inject, onTestFinished, vi } from 'vitest';
import { localDynamoClientConfig } from '../../dev/dynamodb-local.js';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { routes } from '../../functions/routes.js';
import { ownTokenTrust } from '../../functions/access/verify-credential.js';
import { type AuthorizerSettings, authorizeHttpApi, checkSettings, decide } from '../../functions/authorizer/authorizer.js';
import { logger } from '../../functions/observability/logger.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';
import { LimitRefusalError } from '../../functions/shared/errors.js';
import { fastBatch } from '../../functions/usage/limit-model.js';
import { countRateLimits } from '../../functions/usage/rate-limits.js';
import { flushUsage } from '../../functions/usage/usage-counts.js';
import { storedItems } from './api-client.js';
import { countCalls } from '../support/ddb-calls.js';
import { type CreatedKey, createKey, type KeygateWorld, keygateWorld, tokenFor } from '../support/world.js';

/**
 * Per-key rate limits and quotas over DynamoDB Local, at every place a key or its tokens are used:
 * keygate's own routes (429 with Retry-After and RateLimit-*), POST /v1/keys/verify (a code), the
 * token endpoint and the keygate authorizer (a denial with the reason). Time moves on the test clock.
 */
let world: KeygateWorld;
let settings: AuthorizerSettings;

beforeEach(async () => {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  world = await keygateWorld();
  settings = checkSettings(world.deps.config.catalog, {
    routes: { 'GET /alerts': { permission: 'alerts:read' } },
    credentialHeaders: ['authorization'],
    tokens: ownTokenTrust(world.deps.tokens!),
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

/** Strict unless a test says otherwise; the default mode (fast) is exact too in one process (see 'fast mode' below). */
const limited = (extra: Record<string, unknown> = {}) =>
  createKey(world, {
    owner: 'siem',
    permissions: ['keys:read', 'alerts:read'],
    rateLimits: [{ limit: 5, window: 'PT10S', mode: 'strict' }],
    ...extra,
  });
const decideFor = (credential: string) =>
  decide(world.deps, settings, { routeKey: 'GET /alerts', headers: { authorization: `Bearer ${credential}` }, pathParameters: {} });
const failCounters = (name: string) =>
  leanReaderOf(world.deps.ddb).intercept(async (operation, input, next) => {
    if (operation === 'UpdateItem' && String((input.Key as { pk: string }).pk).startsWith('LIMIT#')) {
      throw Object.assign(new Error('Throughput exceeds the current capacity'), { name });
    }
    return next();
  });

const getSelf = (key: CreatedKey) => world.api('GET', `/v1/keys/${key.id}`, { key: key.key });
const verify = (key: string) => world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key } });
const authorizeKey = (credential: string) =>
  authorizeHttpApi(world.deps, settings, {
    version: '2.0',
    type: 'REQUEST',
    routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/GET/alerts',
    identitySource: [`Bearer ${credential}`],
    routeKey: 'GET /alerts',
    rawPath: '/alerts',
    rawQueryString: '',
    cookies: [],
    headers: { authorization: `Bearer ${credential}` },
    requestContext: { requestId: 'test' },
  } as never);

async function storedCounter(pk: string, sk: string) {
  return (await world.deps.ddb.send(new GetCommand({ TableName: world.deps.tableName, Key: { pk, sk }, ConsistentRead: true }))).Item;
}

describe('rate limits at keygate\'s routes', () => {
  it('answers a key with limit 5 per PT10S five times, then 429 with Retry-After and RateLimit-* headers, and again after the window', async () => {
    const key = await limited();
    for (let i = 0; i < 5; i++) expect((await getSelf(key)).status).toBe(200);
    const refused = await getSelf(key);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('rate_limited');
    expect(refused.headers.get('retry-after')).toBe('10');
    expect(refused.headers.get('ratelimit-limit')).toBe('5');
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.headers.get('ratelimit-reset')).toBe('10');
    expect(refused.headers.get('ratelimit-policy')).toBe('5;w=10');
    expect(refused.headers.get('www-authenticate')).toBeNull();
    // The window's item holds the five admitted uses (the refusal moved nothing).
    const windowStart = Math.floor(world.clock().getTime() / 1000 / 10) * 10;
    expect(await storedCounter(`LIMIT#${key.id}`, `0#${windowStart}`)).toMatchObject({ hits: 5 });

    // Not a failed authentication: the key worked. No audit entry, so refused uses write nothing.
    const audit = await world.api('GET', `/v1/audit?keyId=${key.id}&action=auth.failed`, { key: world.admin });
    expect(audit.json.items).toEqual([]);

    world.clock.advance(4_000);
    expect((await getSelf(key)).headers.get('retry-after')).toBe('6');
    world.clock.advance(6_000);
    expect((await getSelf(key)).status).toBe(200);
  });

  it('shows the limits in the key details and audits their edit; [] removes them', async () => {
    const key = await limited();
    const details = (await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json;
    expect(details.rateLimits).toEqual([{ limit: 5, window: 'PT10S', mode: 'strict' }]);
    expect(details.quotaRemaining).toBeNull();
    expect(details.quota).toBeNull();
    const body = { rateLimits: [{ limit: 100, window: 'PT1M', mode: 'fast' }] };
    const edited = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body });
    expect(edited.status).toBe(200);
    expect(edited.json.rateLimits).toEqual([{ limit: 100, window: 'PT1M', mode: 'fast' }]);
    const audit = await world.api('GET', `/v1/audit?keyId=${key.id}&action=key.update`, { key: world.admin });
    expect(audit.json.items[0].details.changes.rateLimits).toEqual({
      from: [{ limit: 5, window: 'PT10S', mode: 'strict' }],
      to: [{ limit: 100, window: 'PT1M', mode: 'fast' }],
    });
    const removed = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { rateLimits: [] } });
    expect(removed.json.rateLimits).toEqual([]);
  });

  it.each([
    [{ rateLimits: [{ limit: 0, window: 'PT1S' }] }, 'rateLimits[].limit must be at least 1'],
    [{ rateLimits: [{ limit: 5, window: 'P1M' }] }, 'no years, months or weeks'],
    [{ rateLimits: [{ limit: 5, window: 'PT0.5S' }] }, 'whole number of seconds'],
    [{ rateLimits: [{ limit: 5, window: 'soon' }] }, 'ISO 8601 duration'],
    [{ rateLimits: [{ limit: 5, window: 'P40D' }] }, 'between PT1S and P31D'],
    [{ rateLimits: [{ limit: 5, window: 'PT1S', mode: 'loose' }] }, 'mode must be'],
    [{ rateLimits: [{ limit: 100_000, window: 'PT1S', mode: 'strict' }] }, 'a strict rate limit may allow at most 8000 uses per second'],
    [{ rateLimits: [{ limit: 60_000, window: 'PT1S' }] }, 'a fast rate limit may allow at most 50000 uses per second'],
    [{ rateLimits: [{ limit: 5, window: 'PT60S' }, { limit: 9, window: 'PT1M' }] }, 'two limits with the window PT1M'],
    [{ rateLimits: Array.from({ length: 5 }, (_, i) => ({ limit: 5, window: `PT${i + 1}S` })) }, 'at most 4 limits'],
    [{ quota: { remaining: -1 } }, 'quota.remaining must be at least 0'],
    [{ quota: { remaining: 5, refill: { amount: 5, interval: 'PT10S' } } }, 'between PT1M and P1Y'],
    [{ quota: { remaining: 5, refill: { amount: 0, interval: 'P1D' } } }, 'quota.refill.amount must be at least 1'],
  ])('refuses bad limits with a 400 that says why: %j', async (body, message) => {
    const response = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: 'bad', permissions: ['alerts:read'], ...body } });
    expect(response.status).toBe(400);
    expect(response.json.error.message).toContain(message);
  });
});

describe('rate limits at verify, the token endpoint and the authorizer', () => {
  it('answers verify valid five times, then valid:false with code rate_limited, and valid again after the window', async () => {
    const key = await limited();
    for (let i = 0; i < 5; i++) expect((await verify(key.key)).json).toMatchObject({ valid: true, code: 'valid' });
    const stdout = vi.spyOn(process.stdout, 'write');
    expect((await verify(key.key)).json).toMatchObject({ valid: false, code: 'rate_limited' });
    // Counted as `limited`, not `refused`: a client at its limit raises no refused-authentications alarm.
    const lines = stdout.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('"Verifications"'));
    expect(lines.some((line) => JSON.parse(line).outcome === 'limited' && JSON.parse(line).reason === 'rate_limited')).toBe(true);
    expect(lines.some((line) => JSON.parse(line).outcome === 'refused')).toBe(false);
    world.clock.advance(10_000);
    expect((await verify(key.key)).json).toMatchObject({ valid: true });
  });

  it('denies at the authorizer with the reason and when to retry in the denial context', async () => {
    const key = await limited();
    for (let i = 0; i < 5; i++) expect((await authorizeKey(key.key)).isAuthorized).toBe(true);
    expect(await authorizeKey(key.key)).toEqual({ isAuthorized: false, context: { reason: 'rate_limited', retryAfter: 10 } });
    const decision = await decideFor(key.key);
    expect(decision).toMatchObject({ allow: false, status: 429, reason: 'rate_limited', retryAfter: 10 });
  });

  it('counts access tokens against their key: issuing one is a use, and each use of it at the authorizer is another', async () => {
    const key = await limited({ rateLimits: [{ limit: 3, window: 'PT10S', mode: 'strict' }] });
    const token = await tokenFor(world, key);
    expect(decodeJwt(token).kg_lim).toEqual({ rl: [{ limit: 3, window: 'PT10S', mode: 'strict' }] });
    expect((await authorizeKey(token)).isAuthorized).toBe(true);
    expect((await authorizeKey(token)).isAuthorized).toBe(true);
    expect(await authorizeKey(token)).toMatchObject({ isAuthorized: false, context: { reason: 'rate_limited' } });
    // The token endpoint is refused too: 429 in RFC 6749's error format.
    const response = await fetch(`${world.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${key.id}:${key.key}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('10');
    expect(await response.json()).toMatchObject({ error: 'rate_limited' });
  });

  it('touches no counter for a key without limits, and its tokens carry nothing new', async () => {
    const plain = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    const token = await tokenFor(world, plain);
    expect(decodeJwt(token).kg_lim).toBeUndefined();
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    for (let i = 0; i < 5; i++) expect((await verify(plain.key)).json.valid).toBe(true);
    expect((await authorizeKey(plain.key)).isAuthorized).toBe(true);
    expect((await authorizeKey(token)).isAuthorized).toBe(true);
    const counterCalls = calls.sent().filter((c) => /^(LIMIT|QUOTA)#/.test(String((c.input.Key as { pk?: string } | undefined)?.pk)));
    expect(counterCalls).toEqual([]);
    expect(calls.count('UpdateItem')).toBe(0); // the use record was written at the token issuance, this minute
  });
});

describe('usage counts of limited keys', () => {
  it('counts uses over a rate limit as rateLimited and uses beyond the quota as refused, beside the allowed ones', async () => {
    const key = await limited({ quota: { remaining: 7 } });
    for (let i = 0; i < 6; i++) await getSelf(key); // 5 allowed, 1 over the rate limit
    world.clock.advance(10_000);
    for (let i = 0; i < 3; i++) await getSelf(key); // 2 allowed (7 in all), 1 beyond the quota
    await flushUsage(world.deps);
    const hour = (await storedItems(world.deps)).find((item) => item.pk === `USAGE#${key.id}` && String(item.sk).startsWith('H#'));
    expect(hour).toMatchObject({ allowed: 7, rateLimited: 1, refused: 1 });
  });
});

describe('a protected API behind the local gateway', () => {
  it('answers a key over its limit 403 {"message":"Forbidden"}, as API Gateway HTTP APIs answer every denial', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const demo = await keygateWorld([...routes, ...localDemoRoutes({ cacheTtlSeconds: 0 })]);
    onTestFinished(demo.close);
    const key = await createKey(demo, { owner: 'siem', permissions: ['alerts:read'], rateLimits: [{ limit: 2, window: 'PT10S', mode: 'strict' }] });
    const get = () => fetch(`${demo.url}/demo/alerts`, { headers: { authorization: `Bearer ${key.key}` } });
    expect((await get()).status).toBe(200);
    expect((await get()).status).toBe(200);
    const refused = await get();
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ message: 'Forbidden' });
    demo.clock.advance(10_000);
    expect((await get()).status).toBe(200);
  });
});

describe('a hot key', () => {
  it('spreads a strict limit above 500 per second over shards whose shares add up to the limit exactly', async () => {
    const key = await limited({ rateLimits: [{ limit: 600, window: 'PT1S', mode: 'strict' }] });
    const limits = [{ limit: 600, window: 'PT1S', mode: 'strict' as const }];
    let admitted = 0;
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next++ < 650) {
          try {
            await countRateLimits(world.deps, key.id, limits);
            admitted++;
          } catch (error) {
            if (!(error instanceof LimitRefusalError)) throw error;
          }
        }
      }),
    );
    expect(admitted).toBe(600);
    const start = Math.floor(world.clock().getTime() / 1000);
    const shards = await Promise.all([0, 1, 2].map((shard) => storedCounter(`LIMIT#${key.id}`, `0#${start}#${shard}`)));
    expect(shards.map((item) => item?.hits)).toEqual([300, 300, undefined]);
  });
});

describe('a counter that fails', () => {
  it('refuses a strict limit\'s use with 503 and Retry-After (never lets it through), logs and counts it; keys without limits go on', async () => {
    const key = await limited();
    const plain = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    const warn = vi.mocked(logger.warn);
    const stdout = vi.spyOn(process.stdout, 'write');
    const failing = failCounters('ProvisionedThroughputExceededException');
    onTestFinished(failing);
    const response = await getSelf(key);
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect((await verify(key.key)).status).toBe(503);
    expect(await decideFor(key.key)).toMatchObject({ allow: false, reason: 'unavailable' });
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('counter could not be moved'), expect.objectContaining({ counter: 'rate_limit' }));
    expect(JSON.stringify(warn.mock.calls)).not.toContain(key.key);
    const metricLines = stdout.mock.calls.map(([line]) => String(line)).filter((line) => line.includes('LimitCounterFailures'));
    expect(metricLines.length).toBeGreaterThan(0);
    expect((await verify(plain.key)).json.valid).toBe(true);
  });
});

describe('quotas', () => {
  it('gives a quota of 3 three uses, then 429 quota_exhausted until the refill, which restores it', async () => {
    const quota = { remaining: 3, refill: { amount: 2, interval: 'PT1H' } };
    const key = await createKey(world, { owner: 'siem', permissions: ['keys:read'], quota });
    const created = (await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json;
    expect(created.quota).toEqual({ remaining: 3, refill: { amount: 2, interval: 'PT1H' }, setAt: world.clock().toISOString() });
    expect(created.quotaRemaining).toBe(3);
    for (let i = 0; i < 3; i++) expect((await getSelf(key)).status).toBe(200);
    const refused = await getSelf(key);
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('quota_exhausted');
    expect(refused.headers.get('retry-after')).toBe('3600');
    expect(refused.headers.get('ratelimit-policy')).toBe('3;comment="quota"');
    expect((await verify(key.key)).json).toMatchObject({ valid: false, code: 'quota_exhausted' });
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.quotaRemaining).toBe(0);

    world.clock.advance(3_600_000);
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.quotaRemaining).toBe(2);
    expect((await getSelf(key)).status).toBe(200);
    expect((await getSelf(key)).status).toBe(200);
    expect((await getSelf(key)).json.error.code).toBe('quota_exhausted');
  });

  it('counts access tokens against the quota, refuses for good without a refill, and a PATCH sets it afresh', async () => {
    const key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], quota: { remaining: 2 } });
    const token = await tokenFor(world, key); // one use
    expect((await authorizeKey(token)).isAuthorized).toBe(true); // two
    expect(await authorizeKey(token)).toEqual({ isAuthorized: false, context: { reason: 'quota_exhausted' } });
    const refused = await verify(key.key);
    expect(refused.json.code).toBe('quota_exhausted');
    world.clock.advance(86_400_000);
    expect((await verify(key.key)).json.code).toBe('quota_exhausted');
    const edited = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { quota: { remaining: 1 } } });
    expect(edited.json.quotaRemaining).toBe(1);
    expect((await verify(key.key)).json.valid).toBe(true);
    expect((await verify(key.key)).json.code).toBe('quota_exhausted');
    const removed = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { quota: null } });
    expect(removed.json).toMatchObject({ quota: null, quotaRemaining: null });
    expect((await verify(key.key)).json.valid).toBe(true);
  });
});

describe('fast mode', () => {
  it('is the default, and exact within one process: 5 per PT10S answers 5, then 429', async () => {
    const key = await createKey(world, { owner: 'siem', permissions: ['keys:read'], rateLimits: [{ limit: 5, window: 'PT10S' }] });
    const details = (await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json;
    expect(details.rateLimits).toEqual([{ limit: 5, window: 'PT10S', mode: 'fast' }]);
    for (let i = 0; i < 5; i++) expect((await getSelf(key)).status).toBe(200);
    const refused = await getSelf(key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('10');
    world.clock.advance(10_000);
    expect((await getSelf(key)).status).toBe(200);
  });

  it('refuses the use whose reconciliation fails (503), never letting more than K uses go uncounted', async () => {
    const key = await createKey(world, { owner: 'siem', permissions: ['keys:read'], rateLimits: [{ limit: 5, window: 'PT10S', mode: 'fast' }] });
    const failing = failCounters('ThrottlingException');
    onTestFinished(failing);
    expect((await getSelf(key)).status).toBe(503);
    failing();
    for (let i = 0; i < 5; i++) expect((await getSelf(key)).status).toBe(200);
    expect((await getSelf(key)).status).toBe(429);
  });

  it('keeps the overshoot within (P − 1) × K with four processes counting one key concurrently', async () => {
    const key = await limited({ rateLimits: [{ limit: 500, window: 'PT1M', mode: 'fast' }] });
    // Four "processes": each has its own DynamoDB client, so its own in-memory counters.
    const config = localDynamoClientConfig(inject('dynamoDbEndpoint'));
    const processes = Array.from({ length: 4 }, () => ({ ...world.deps, ddb: documentClient(config) }));
    const limits = [{ limit: 500, window: 'PT1M', mode: 'fast' as const }];
    let admitted = 0;
    let refused = 0;
    await Promise.all(
      processes.flatMap((deps) =>
        Array.from({ length: 10 }, async () => {
          for (let i = 0; i < 40; i++) {
            try {
              await countRateLimits(deps, key.id, limits);
              admitted++;
            } catch (error) {
              if (!(error instanceof LimitRefusalError)) throw error;
              refused++;
            }
          }
        }),
      ),
    );
    expect(admitted + refused).toBe(1600);
    const bound = 500 + 3 * fastBatch(500);
    expect(admitted).toBeGreaterThanOrEqual(500);
    expect(admitted).toBeLessThanOrEqual(bound);
    // Every admitted use reached the table (reconciled) or is still pending in some process.
    const windowStart = Math.floor(world.clock().getTime() / 60_000) * 60;
    const stored = Number((await storedCounter(`LIMIT#${key.id}`, `0#${windowStart}`))?.hits ?? 0);
    expect(stored).toBeLessThanOrEqual(admitted);
    expect(admitted - stored).toBeLessThanOrEqual(4 * fastBatch(500));
  });
});

describe('who may change limits, and rotation', () => {
  /** A non-admin that manages the keys of owner siem (it holds every grant of the keys below). */
  const siemManager = () => createKey(world, { owner: 'siem', permissions: ['keys:read', 'keys:write', 'alerts:read'] });
  const patch = (by: string, id: string, body: Record<string, unknown>) => world.api('PATCH', `/v1/keys/${id}`, { key: by, body });

  it("keeps an admin's limits from the key's owner: changing or removing them is a 403, other edits go on; an admin may", async () => {
    const manager = await siemManager();
    const key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], quota: { remaining: 2 }, rateLimits: [{ limit: 5, window: 'PT10S' }] });
    for (const body of [{ quota: { remaining: 1_000 } }, { quota: null }, { rateLimits: [] }, { rateLimits: [{ limit: 500, window: 'PT10S' }] }]) {
      const refused = await patch(manager.key, key.id, body);
      expect(refused.status, JSON.stringify(body)).toBe(403);
      expect(refused.json.error.message).toBe(`the rate limits and quota of key ${key.id} were set by an admin: only an admin may change them`);
    }
    expect((await patch(manager.key, key.id, { description: 'still editable' })).status).toBe(200);
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`);
    expect(stored).toMatchObject({ quota: { remaining: 2 }, rateLimits: [{ limit: 5 }], limitsSetByAdmin: true });

    // Once an admin removes them, the owner may set (and change) limits of its own.
    expect((await patch(world.admin, key.id, { quota: null, rateLimits: null })).status).toBe(200);
    expect((await patch(manager.key, key.id, { quota: { remaining: 10 } })).status).toBe(200);
    expect((await patch(manager.key, key.id, { quota: { remaining: 20 } })).json.quotaRemaining).toBe(20);
    const own = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`);
    expect(own?.limitsSetByAdmin).toBeUndefined();
  });

  it('lets a rotation neither refill the quota nor double a rate limit: the successor counts on its predecessor and keeps the admin mark', async () => {
    const manager = await siemManager();
    const old = await createKey(world, {
      owner: 'siem',
      permissions: ['keys:read'],
      quota: { remaining: 3 },
      rateLimits: [{ limit: 5, window: 'PT10S', mode: 'strict' }],
    });
    expect((await getSelf(old)).status).toBe(200);
    expect((await getSelf(old)).status).toBe(200);
    const rotated = await world.api('POST', `/v1/keys/${old.id}/rotate`, { key: manager.key, body: { overlap: 'PT1H' } });
    expect(rotated.status).toBe(201);
    expect(rotated.json).toMatchObject({ quota: { remaining: 3 }, quotaRemaining: 1 });
    const successor = { id: rotated.json.id as string, key: rotated.json.key as string };

    // One use left between them; the old key (in its overlap) and the successor share it.
    expect((await getSelf(successor)).status).toBe(200);
    expect((await getSelf(successor)).json.error.code).toBe('quota_exhausted');
    expect((await getSelf(old)).json.error.code).toBe('quota_exhausted');
    // The rate limit's window is shared too: 5 uses so far in it (rate limits count before the quota), so the sixth is refused.
    const limited = await getSelf(successor);
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('rate_limited');
    expect((await patch(manager.key, successor.id, { quota: { remaining: 100 } })).status).toBe(403);
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${successor.id}`);
    expect(stored).toMatchObject({ limitsCountedOn: old.id, limitsSetByAdmin: true });
    expect((await storedItems(world.deps)).some((item) => String(item.pk) === `QUOTA#${successor.id}` || String(item.pk) === `LIMIT#${successor.id}`)).toBe(false);
  });
});
