import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { routes } from '../../functions/routes.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { withLocalNotifications } from '../support/notifications.js';
import { apiClient, storedItems } from './api-client.js';

/**
 * Defects an adversarial run found (issue 15), each pinned by the request that found it and its
 * neighbours of the same class: input used as a key into a plain object, bodies that are JSON
 * but not objects, line separators in names, non-decimal query integers.
 */
const START = new Date('2026-11-23T12:00:00.000Z');

let deps: Deps;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;

beforeEach(async () => {
  const clock = testClock(START);
  deps = withLocalNotifications(await freshDeps({ clock: clock.now })).deps;
  gateway = await startGateway(deps);
  deps.tokens = localTokenDeps(gateway.url, { path: join(mkdtempSync(join(tmpdir(), 'keygate-hardening-')), 'signing-keys.json'), clock: clock.now });
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
});

afterEach(async () => {
  await gateway.close();
});

const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

async function createKey(body: Record<string, unknown>) {
  return api('POST', '/v1/keys', { key: admin, body: { name: 'k', expiresIn: 'P30D', notification: null, ...body } });
}

describe('names of Object.prototype properties as catalog input', () => {
  it.each(PROTOTYPE_NAMES)('a role named %s is a 400 invalid_grant at create and at PATCH', async (role) => {
    const created = await createKey({ roles: [{ role }] });
    expect(created.status).toBe(400);
    expect(created.json.error.code).toBe('invalid_grant');

    const key = await createKey({ name: `target-${role}`, permissions: ['alerts:read'] });
    expect(key.status).toBe(201);
    const patched = await api('PATCH', `/v1/keys/${key.json.id}`, { key: admin, body: { roles: [{ role, scope: '*' }] } });
    expect(patched.status).toBe(400);
    expect(patched.json.error.code).toBe('invalid_grant');
  });

  it.each(['constructor:read', 'constructor:write', 'valueof:read', 'tostring:read'])('a permission %s is a 400 naming no resource', async (permission) => {
    const created = await createKey({ permissions: [permission] });
    expect(created.status).toBe(400);
    expect(created.json.error).toMatchObject({ code: 'invalid_grant', message: expect.stringContaining('there is no resource') });
  });

  it('verify, token scopes and listing filters answer 4xx, never 5xx', async () => {
    const verifier = await createKey({ name: 'verifier', permissions: ['key-verification:read', 'alerts:read'] });
    const verified = await api('POST', '/v1/keys/verify', { key: verifier.json.key, body: { key: verifier.json.key, permission: 'constructor:read' } });
    expect(verified.status).toBe(400);
    const token = await fetch(`${gateway.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: verifier.json.id, client_secret: verifier.json.key, scope: 'constructor:read' }),
    });
    expect(token.status).toBe(400);
    expect(((await token.json()) as { error: string }).error).toBe('invalid_scope');
    for (const path of ['/v1/keys?owner=constructor', '/v1/channels?owner=__proto__', '/v1/operator-messages?owner=toString', '/v1/audit?actor=constructor']) {
      const listed = await api('GET', path, { key: admin });
      expect(listed.status, path).toBe(200);
      expect(listed.json.items, path).toEqual([]);
    }
    for (const query of ['__proto__=1', 'constructor=1', 'toString=x&toString=y']) {
      expect((await api('GET', `/v1/keys?${query}`, { key: admin })).status, query).toBe(400);
    }
  });
});

describe('request bodies that are JSON but not an object', () => {
  // GitHub's leak reports are JSON arrays by design, and refused unsigned (401) before the body is read: test/integration/leak-reports.test.ts.
  const withBody = routes
    .filter((route) => route.method === 'POST' || route.method === 'PATCH')
    .filter((route) => !route.path.startsWith('/oauth/') && route.id !== 'ReportGitHubLeaks');

  it.each(['null', '[]', '"x"', '42', 'true'])('%s is a 400 on every route that takes a JSON body, and resets nothing', async (rawBody) => {
    const key = await createKey({ name: 'victim', permissions: ['alerts:read'] });
    const before = JSON.stringify(await storedItems(deps));
    for (const route of withBody) {
      const path = route.path.replace('{id}', route.path.startsWith('/v1/keys') ? key.json.id : route.path.startsWith('/v1/channels') ? 'ch_0000000000000000000000' : 'msg_0000000000000000');
      const response = await api(route.method, path, { key: admin, rawBody, headers: { 'content-type': 'application/json' } });
      expect(response.status, `${route.method} ${route.path}`).toBe(400);
      expect(response.json.error.code, `${route.method} ${route.path}`).toBe('invalid_request');
    }
    // Only the admin key's own use may have been recorded.
    const after = (await storedItems(deps)).filter((item) => item.id !== undefined && item.name === 'victim');
    expect(JSON.stringify(after)).toBe(JSON.stringify(JSON.parse(before).filter((item: { name?: string }) => item.name === 'victim')));
  });

  it.each(['null', '[]', '"x"', '42'])('%s is a 400 on the OAuth routes, as JSON or as a form', async (rawBody) => {
    for (const route of routes.filter((r) => r.path.startsWith('/oauth/') && r.method === 'POST')) {
      for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
        const response = await fetch(gateway.url + route.path, { method: route.method, headers: { 'content-type': type, authorization: `Bearer ${admin}` }, body: rawBody });
        expect(response.status, `${route.method} ${route.path} ${type}`).toBe(400);
        expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
      }
    }
  });

  it('an absent body still resets with the defaults', async () => {
    const key = await createKey({ name: 'victim', permissions: ['alerts:read'] });
    expect((await api('POST', `/v1/keys/${key.json.id}/reset`, { key: admin })).status).toBe(200);
  });
});

describe('line and paragraph separators in human-readable fields', () => {
  it.each(['\u2028', '\u2029', '\u0085', '\u200b', '\u202e'])('a key name with U+%s is a 400', async (char) => {
    const response = await createKey({ name: `a${char}b` });
    expect(response.status, JSON.stringify(char)).toBe(400);
  });

  it.each(['\u2028', '\u2029'])('a description, a PATCHed name and a channel name with %j are 400s', async (char) => {
    expect((await createKey({ name: 'ok', permissions: ['alerts:read'], description: `one${char}two` })).status).toBe(400);
    const key = await createKey({ name: 'ok2', permissions: ['alerts:read'] });
    expect((await api('PATCH', `/v1/keys/${key.json.id}`, { key: admin, body: { name: `x${char}y` } })).status).toBe(400);
    expect((await api('PATCH', `/v1/keys/${key.json.id}`, { key: admin, body: { description: `x${char}` } })).status).toBe(400);
    expect((await api('POST', '/v1/channels', { key: admin, body: { type: 'operator', name: `ops${char}team` } })).status).toBe(400);
  });

  it('a description keeps tab and newline', async () => {
    expect((await createKey({ name: 'ok', permissions: ['alerts:read'], description: 'one\ttwo\nthree' })).status).toBe(201);
  });
});

describe('query integers', () => {
  const listings = ['/v1/keys', '/v1/channels', '/v1/operator-messages', '/v1/audit'];

  it.each(listings)('%s takes limit as decimal digits only', async (path) => {
    for (const limit of ['0x10', '1e1', '0b11', '0o7', ' 5', '5 ', '+5', '5.0', '', 'Infinity', '١٢']) {
      const response = await api('GET', `${path}?limit=${encodeURIComponent(limit)}`, { key: admin });
      expect(response.status, `${path} limit=${JSON.stringify(limit)}`).toBe(400);
    }
    for (const limit of ['16', '016', '100', '1']) {
      expect((await api('GET', `${path}?limit=${limit}`, { key: admin })).status, `${path} limit=${limit}`).toBe(200);
    }
    expect((await api('GET', `${path}?limit=101`, { key: admin })).status).toBe(400);
    expect((await api('GET', `${path}?limit=0`, { key: admin })).status).toBe(400);
  });
});
