import { afterEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { leanReaderOf } from '../../functions/shared/dynamodb-lean.js';
import { countCalls } from '../support/ddb-calls.js';
import { logger } from '../../functions/observability/logger.js';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { routes } from '../../functions/routes.js';
import { type CreatedKey, createKey, type KeygateWorld, keygateWorld, tokenFor } from '../support/world.js';

/**
 * The demo API through the local gateway, as a client sees it with curl: API Gateway's own 401
 * and 403 bodies, the authorizer's context in the backend, and what the decision cache does.
 */
let world: KeygateWorld;

async function start(options: Parameters<typeof localDemoRoutes>[0] = {}) {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
  world = await keygateWorld([...routes, ...localDemoRoutes(options)]);
  const reader = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }] });
  return reader;
}

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const response = await fetch(world.url + path, { headers });
  return { status: response.status, body: await response.text() };
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

describe('the demo API behind the keygate authorizer (local gateway)', () => {
  it('answers a request without Authorization with 401 {"message":"Unauthorized"}, without running the authorizer', async () => {
    await start();
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    const response = await get('/demo/alerts');
    expect(response).toMatchObject({ status: 401, body: '{"message":"Unauthorized"}' });
    expect(calls.total()).toBe(0);
  });

  it('answers a credential that does not work, or lacks the permission, with 403 {"message":"Forbidden"}', async () => {
    const reader = await start();
    expect(await get('/demo/alerts', bearer('kg_not-a-key'))).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
    expect(await get('/demo/alerts', { authorization: reader.key })).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
    expect(await get('/demo/cloud-accounts/acct-2', bearer(reader.key))).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
    const cases = await createKey(world, { owner: 'ops', permissions: ['cases:read'] });
    expect((await get('/demo/alerts', bearer(cases.key))).status).toBe(403);
  });

  it('lets a key with the permission through, and the backend sees who called', async () => {
    const reader = await start();
    const response = await fetch(`${world.url}/demo/alerts`, { headers: bearer(reader.key) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { caller: unknown; alerts: unknown[] };
    expect(body.caller).toEqual({ owner: 'siem', keyId: reader.id, credential: 'key' });
    expect(body.alerts).toHaveLength(2);
    const account = await fetch(`${world.url}/demo/cloud-accounts/acct-1`, { headers: bearer(reader.key) });
    expect(account.status).toBe(200);
    expect(((await account.json()) as { account: { id: string } }).account.id).toBe('acct-1');
  });

  it('lets an access token through with the grants it carries', async () => {
    const reader = await start();
    const token = await tokenFor(world, reader);
    const response = await fetch(`${world.url}/demo/cloud-accounts/acct-1`, { headers: bearer(token) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { caller: unknown }).caller).toEqual({ owner: 'siem', keyId: reader.id, credential: 'token' });
    expect((await get('/demo/cloud-accounts/acct-2', bearer(token))).status).toBe(403);
  });

  it('keeps a cached decision for its TTL per credential and route: a deleted key works on, but only where it was just let in', async () => {
    const reader = await start();
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(200);
    expect((await world.api('DELETE', `/v1/keys/${reader.id}`, { key: world.admin })).status).toBe(204);
    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(200); // from the cache
    expect(calls.total()).toBe(0);
    expect((await get('/demo/cloud-accounts/acct-1', bearer(reader.key))).status).toBe(403); // another route: decided now
    world.clock.advance(30_000);
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(403); // the TTL is over
  });

  it('without a cache, refuses a deleted key on the very next request', async () => {
    const reader = await start({ cacheTtlSeconds: 0 });
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(200);
    expect((await world.api('DELETE', `/v1/keys/${reader.id}`, { key: world.admin })).status).toBe(204);
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(403);
  });

  it('without a cache, takes the key from x-api-key too', async () => {
    const reader = await start({ cacheTtlSeconds: 0, credentialHeaders: ['authorization', 'x-api-key'] });
    expect((await get('/demo/alerts', { 'x-api-key': reader.key })).status).toBe(200);
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(200);
    // No identity source is listed then: a request with neither header reaches the authorizer (403).
    expect(await get('/demo/alerts')).toMatchObject({ status: 403, body: '{"message":"Forbidden"}' });
  });

  it('answers 500 {"message":"Internal Server Error"} when the authorizer fails, and caches nothing', async () => {
    const reader = await start();
    // The key read goes through the client's lean reader (functions/shared/dynamodb-lean.ts), not its send.
    const remove = leanReaderOf(world.deps.ddb).intercept(() => Promise.reject(new Error('DynamoDB is unavailable')));
    expect(await get('/demo/alerts', bearer(reader.key))).toMatchObject({ status: 500, body: '{"message":"Internal Server Error"}' });
    remove();
    expect((await get('/demo/alerts', bearer(reader.key))).status).toBe(200);
  });
});
