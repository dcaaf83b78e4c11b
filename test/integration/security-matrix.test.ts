import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteContract } from '../../functions/contract/route-contract.js';
import { fireNotification } from '../../functions/reminders/notifier.js';
import { routes } from '../../functions/routes.js';
import { withLocalNotifications } from '../support/notifications.js';
import { basic, createKey, type KeygateWorld, keygateWorld, postForm } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * The security matrix, generated from the route table: every route × {no credential, a bad
 * credential, a valid key without the route's permission, another owner's resource} answers
 * 401 / 401 / 403 / 404, and a public route answers without any credential. A route added to
 * functions/routes.ts is in this matrix the day it is added; a route that takes a resource id
 * of a kind this file does not know fails until its resource is added to `resources` below.
 */
const table = routes as readonly RouteContract[];
const protectedRoutes = table.filter((route) => route.permission !== 'public');
const publicRoutes = table.filter((route) => route.permission === 'public');
/** A permission no keygate route requires: what "a valid key without the route's permission" holds. */
const UNRELATED_PERMISSION = 'alerts:read';
/** Well-formed, but no such key: the checksum passes only for real key strings, so it is refused as invalid. */
const BAD_CREDENTIAL = 'kg_0000000000000000000000_00000000000000000000000000000000000000000000000';

let world: KeygateWorld;
/** Resource ids of owner `alice`, by the first path segment after /v1/. */
const resources: Record<string, string> = {};
/** A key of owner `mallory` holding each route's permission (not an admin). */
const strangers = new Map<string, string>();
/** Admin keys (every permission) that must still be refused: one suspended, one whose IP allowlist leaves out 127.0.0.1. */
let suspendedAdmin: { id: string; key: string };
let fencedAdmin: { id: string; key: string };

/** A body each route accepts, so that a 404 is about the resource, not a 400 about the input. */
const validBodies: Record<string, unknown> = {
  UpdateKey: { description: 'edited by a stranger' },
  ResetKeySecret: {},
};

/** Path parameters of public routes, which name no owner's resource: one value each route serves. */
const publicParameters: Record<string, string> = { asset: 'app.js' };
/** The console's files, as the public console routes serve them (stand-ins: what matters here is who may read them). */
let consoleDir: string;

function concretePath(route: RouteContract): string {
  return route.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (route.permission === 'public') return publicParameters[name] ?? 'unknown-parameter';
    const kind = route.path.split('/')[2] ?? '';
    return resources[kind] ?? 'unknown-kind';
  });
}

function call(route: RouteContract, credential: string | undefined, options: { body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (credential !== undefined) headers.authorization = `Bearer ${credential}`;
  if (route.style === 'oauth' && route.request?.form !== undefined) {
    return fetch(world.url + concretePath(route), {
      method: route.method,
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=x',
    }).then((response) => ({ status: response.status }));
  }
  return world.api(route.method, concretePath(route), { ...(credential === undefined ? {} : { key: credential }), ...options });
}

beforeAll(async () => {
  world = await keygateWorld();
  const { deps } = withLocalNotifications(world.deps);
  Object.assign(world.deps, { notifications: deps.notifications });
  consoleDir = await mkdtemp(join(tmpdir(), 'keygate-console-files-'));
  for (const file of ['index.html', 'app.js', 'app.css']) await writeFile(join(consoleDir, file), `/* ${file} */`);
  world.deps.consoleAssets = consoleDir;
  const channel = await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'alice-ops', type: 'operator', owner: 'alice' } });
  expect(channel.status).toBe(201);
  resources.channels = channel.json.id;
  const key = await world.api('POST', '/v1/keys', {
    key: world.admin,
    body: {
      name: 'alice-key',
      owner: 'alice',
      permissions: ['alerts:read'],
      expiresIn: 'P30D',
      notification: { at: 'P7D', channelId: channel.json.id },
    },
  });
  expect(key.status).toBe(201);
  resources.keys = key.json.id;
  const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.json.id}`) as { notification: { rev: string; at: string } };
  world.clock.set(new Date(stored.notification.at));
  expect(await fireNotification(world.deps, { keyId: key.json.id, slot: 'own', rev: stored.notification.rev })).toEqual({ result: 'sent' });
  const messages = await world.api('GET', '/v1/operator-messages?owner=alice', { key: world.admin });
  expect(messages.json.items).toHaveLength(1);
  resources['operator-messages'] = messages.json.items[0].id;
  for (const permission of new Set(protectedRoutes.map((route) => route.permission))) {
    if (permission === 'authenticated') continue;
    strangers.set(permission, (await createKey(world, { owner: 'mallory', permissions: [permission] })).key);
  }
  strangers.set('authenticated', (await createKey(world, { owner: 'mallory', permissions: [UNRELATED_PERMISSION] })).key);
  resources.owners = 'alice';
  suspendedAdmin = await createKey(world, { owner: 'ops', roles: [{ role: 'global-admin' }] });
  expect((await world.api('POST', `/v1/keys/${suspendedAdmin.id}/suspend`, { key: world.admin })).status).toBe(200);
  fencedAdmin = await createKey(world, { owner: 'ops', roles: [{ role: 'global-admin' }], allowedIps: ['192.0.2.0/24', '2001:db8::/32'] });
});

afterAll(async () => {
  await world.close();
  if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
});

describe.each(protectedRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', (_name, route) => {
  it('answers 401 without a credential', async () => {
    expect((await call(route, undefined)).status).toBe(401);
  });

  it('answers 401 to a credential that is not a key', async () => {
    expect((await call(route, BAD_CREDENTIAL)).status).toBe(401);
  });

  it('answers 401 to a suspended key that holds every permission', async () => {
    expect((await call(route, suspendedAdmin.key)).status).toBe(401);
  });

  it("answers 401 to a key that holds every permission, used from outside its IP allowlist", async () => {
    expect((await call(route, fencedAdmin.key)).status).toBe(401);
  });

  it.skipIf(route.permission === 'authenticated')("answers 403 to a valid key without the route's permission", async () => {
    const unrelated = strangers.get('authenticated');
    expect((await call(route, unrelated)).status).toBe(403);
  });

  it.runIf(route.path.includes('{'))("answers 404 for another owner's resource, to a key that holds the permission", async () => {
    const kind = route.path.split('/')[2] ?? '';
    expect(resources[kind], `a resource of kind "${kind}" for ${route.id}: add it to this file's beforeAll`).toBeDefined();
    const stranger = strangers.get(route.permission);
    const body = validBodies[route.id];
    expect((await call(route, stranger, body === undefined ? {} : { body })).status).toBe(404);
  });
});

describe('suspended and IP-refused keys beyond the management routes', () => {
  it('are refused at the token endpoint and answered with their own code by POST /v1/keys/verify', async () => {
    for (const [refused, code] of [
      [suspendedAdmin, 'suspended'],
      [fencedAdmin, 'ip_not_allowed'],
    ] as const) {
      const token = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(refused.id, refused.key) });
      expect(token.status).toBe(401);
      expect(token.json.error).toBe('invalid_client');
      const verify = await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: refused.key, clientIp: '127.0.0.1' } });
      expect(verify.json).toMatchObject({ valid: false, code });
    }
  });
});

describe.each(publicRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s (public)', (_name, route) => {
  // The token endpoint authenticates its client in the request (tests/integration/tokens); the
  // other public routes are documents anyone may read (the console's files hold nothing secret:
  // it signs people in itself).
  it.skipIf(route.method !== 'GET')('answers 200 without any credential', async () => {
    // Fetched as is: not every public document is JSON (the console's page, script and style sheet).
    expect((await fetch(world.url + concretePath(route))).status).toBe(200);
  });
});
