import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueSecret } from '../../functions/keys/key-string.js';
import { fireNotification } from '../../functions/reminders/notifier.js';
import type { Route } from '../../functions/http/route-handler.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import { storedItems } from './api-client.js';
import { withLocalNotifications } from '../support/notifications.js';
import { basic, postForm, type KeygateWorld, keygateWorld } from '../support/world.js';

/**
 * The OpenAPI document against the running routes: every route of the table is described, the
 * described request schemas are the ones the handlers validate with, and a tour of every route
 * (successes and typical errors) answers only what the document says, field by field.
 */
let world: KeygateWorld;
// biome-ignore lint/suspicious/noExplicitAny: the document is walked as JSON
let doc: any;

beforeAll(async () => {
  world = await keygateWorld();
  const { deps } = withLocalNotifications(world.deps);
  Object.assign(world.deps, { notifications: deps.notifications });
  const response = await fetch(`${world.url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/json');
  doc = await response.json();
});

afterAll(async () => {
  await world.close();
});

const routeTable = routes as readonly RouteDefinition[];

describe('GET /openapi.json', () => {
  it('is a public OpenAPI 3.1 document whose server is the API it was fetched from', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: world.url }]);
    expect(doc.components.securitySchemes.keygateKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('describes every route of the route table, and nothing else', () => {
    const described = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`));
    expect(described.sort()).toEqual(routeTable.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of routeTable) {
      const operation = doc.paths[route.path][route.method.toLowerCase()];
      expect(operation, route.id).toMatchObject({ operationId: route.id, summary: route.summary, 'x-keygate-permission': route.permission });
      const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const described = (operation.parameters ?? []).filter((p: { in: string }) => p.in === 'path').map((p: { name: string }) => p.name);
      expect(described, route.id).toEqual(pathParams);
      expect(Object.keys(operation.responses), route.id).toContain('500');
      if (route.tableAccess.length > 0) {
        expect(Object.keys(operation.responses), route.id).toContain('503');
        expect(Object.keys(operation.responses['503'].headers ?? {}), route.id).toEqual(['Retry-After']);
      }
      if (route.permission !== 'public') expect(operation.security, route.id).toEqual([{ keygateKey: [] }]);
    }
  });

  it('describes each request with the very schemas its handler validates with', async () => {
    for (const route of routeTable) {
      const module = (await import(pathToFileURL(resolve(import.meta.dirname, '../..', route.entry)).href)) as { route: Route };
      // The handler validates with its contract's request schemas (defineRoute / defineOAuthRoute
      // take them from it), and the document is generated from the table's contract objects.
      expect(module.route.contract, route.id).toBe(route);
    }
  });
});

describe('responses match the document', () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under nodenext its default import is the module, whose default is the plugin.
  (formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
  const samples: { route: string; status: number; body: unknown }[] = [];

  function templateOf(method: string, path: string): RouteDefinition {
    const bare = path.split('?')[0] ?? path;
    const candidates = routeTable.filter((r) => r.method === method && new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
    // A route without parameters wins, as in API Gateway.
    const route = candidates.sort((a, b) => a.path.split('{').length - b.path.split('{').length)[0];
    if (!route) throw new Error(`no route for ${method} ${path}`);
    return route;
  }

  async function call(method: string, path: string, options: Parameters<KeygateWorld['api']>[2] = {}) {
    const response = await world.api(method, path, options);
    samples.push({ route: `${method} ${templateOf(method, path).path}`, status: response.status, body: response.json });
    return response;
  }

  async function form(path: string, fields: Record<string, string>, headers: Record<string, string>) {
    const response = await postForm(world, path, fields, headers);
    samples.push({ route: `POST ${path}`, status: response.status, body: response.json });
    return response;
  }

  it('for a tour of every route, successes and errors', async () => {
    ajv.addSchema(doc, 'openapi.json');
    const admin = world.admin;
    const created = await call('POST', '/v1/keys', {
      key: admin,
      body: {
        name: 'tour',
        owner: 'alice',
        permissions: ['alerts:read', 'keys:read', 'tokens:read'],
        tags: ['env:prod'],
        meta: { plan: 'gold', n: [1] },
      },
    });
    const id = created.json.id;
    await call('POST', '/v1/keys', { key: admin, body: { name: 'tour', owner: 'alice', permissions: ['alerts:read'] } });
    await call('POST', '/v1/keys', { key: admin, body: { name: 'bad', permissions: ['nukes:read'] } });
    const jwtKey = await call('POST', '/v1/keys', { key: admin, body: { name: 'tour-jwt', owner: 'alice', format: 'jwt', permissions: ['alerts:read'] } });
    expect(jwtKey.json.format).toBe('jwt');
    await call('POST', '/v1/keys', { key: admin, body: { name: 'bad-format', format: 'pem', permissions: ['alerts:read'] } });
    await call('POST', `/v1/keys/${jwtKey.json.id}/reset`, { key: admin, body: {} });
    await call('GET', '/v1/keys?limit=1', { key: admin });
    await call('GET', '/v1/keys', {});
    await call('GET', `/v1/keys/${id}`, { key: admin });
    await call('GET', `/v1/keys/${'A'.repeat(22)}`, { key: admin });
    await call('GET', `/v1/keys/${id}/usage?granularity=minute`, { key: admin });
    await call('GET', `/v1/keys/${id}/usage?from=2026-11-23T13:00:00Z&to=2026-11-23T12:00:00Z`, { key: admin });
    await call('PATCH', `/v1/keys/${id}`, { key: admin, body: { description: 'edited' } });
    await call('POST', `/v1/keys/${id}/reset`, { key: admin, body: { gracePeriod: 'PT1H' } });
    await call('GET', '/v1/catalog', { key: created.json.key });
    await call('GET', '/v1/policy', { key: created.json.key });
    await call('GET', '/v1/keys?namePrefix=TO&tag=env:prod&status=active&limit=1', { key: admin });
    await call('POST', '/v1/keys/verify', { key: created.json.key, body: { key: created.json.key } });
    const ops = await call('POST', '/v1/keys/verify', { key: admin, body: { key: issueSecret('kg', id).keyString, permission: 'alerts:read' } });
    expect(ops.status).toBe(200);
    const channel = await call('POST', '/v1/channels', { key: admin, body: { name: 'ops', type: 'operator' } });
    await call('POST', '/v1/channels', { key: admin, body: { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x' } });
    await call('GET', '/v1/channels', { key: admin });
    await call('GET', `/v1/channels/${channel.json.id}`, { key: admin });
    const noticed = await call('POST', '/v1/keys', {
      key: admin,
      body: { name: 'noticed', owner: 'bob', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at: 'P7D', channelId: channel.json.id } },
    });
    const stored = (await storedItems(world.deps)).find((i) => i.pk === `KEY#${noticed.json.id}`) as { notification: { rev: string; at: string } };
    world.clock.set(new Date(stored.notification.at));
    await fireNotification(world.deps, { keyId: noticed.json.id, slot: 'own', rev: stored.notification.rev });
    const messages = await call('GET', '/v1/operator-messages', { key: admin });
    await call('POST', `/v1/operator-messages/${messages.json.items[0].id}/acknowledge`, { key: admin });
    await call('GET', `/v1/keys/${noticed.json.id}`, { key: admin });
    await call('POST', `/v1/channels/${channel.json.id}/default`, { key: admin });
    await call('DELETE', `/v1/channels/${channel.json.id}/default`, { key: admin });
    await call('DELETE', `/v1/channels/${channel.json.id}/default`, { key: admin });
    await call('DELETE', `/v1/channels/${channel.json.id}`, { key: admin });
    await call('GET', '/v1/audit?limit=5', { key: admin });
    await call('GET', '/v1/audit?action=nope', { key: admin });
    await call('GET', '/v1/audit', { key: created.json.key });

    const reset = samples.find((s) => s.route === 'POST /v1/keys/{id}/reset')?.body as { key: string };
    const token = await form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, reset.key) });
    await form('/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(id, issueSecret('kg', id).keyString) });
    await form('/oauth/introspect', { token: token.json.access_token }, { authorization: `Bearer ${reset.key}` });
    await form('/oauth/introspect', { token: 'nope' }, { authorization: `Bearer ${reset.key}` });
    for (const path of ['/.well-known/jwks.json', '/v1/keys/jwks.json', '/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/openapi.json']) {
      await call('GET', path);
    }
    await call('GET', '/v1/me', { key: admin });
    await call('GET', '/v1/me', {});
    // Unsigned: refused before anything is read (test/integration/leak-reports.test.ts signs its reports).
    await call('POST', '/v1/leaks/github', { rawBody: '[{"token":"kg_x","type":"t"}]', headers: { 'content-type': 'application/json' } });
    // This keygate serves no console (no built files given): both answer 404 with the error body.
    await call('GET', '/console');
    await call('GET', '/console/app.js');
    await call('POST', `/v1/keys/${id}/suspend`, { key: admin, body: { reason: 'tour' } });
    await call('POST', `/v1/keys/${id}/suspend`, { key: admin, body: {} });
    await call('POST', `/v1/keys/${id}/resume`, { key: admin });
    const rotatingBody = { name: 'rotating', owner: 'carol', permissions: ['alerts:read'], allowedIps: ['203.0.113.0/24'] };
    const rotating = await call('POST', '/v1/keys', { key: admin, body: rotatingBody });
    await call('POST', `/v1/keys/${rotating.json.id}/rotate`, { key: admin, body: { overlap: 'P1D' } });
    await call('POST', `/v1/keys/${rotating.json.id}/rotate`, { key: admin, body: {} });
    await call('POST', '/v1/owners/carol/keys/suspend', { key: admin, body: { reason: 'tour' } });
    await call('POST', '/v1/owners/carol/keys/revoke', { key: admin });
    await call('DELETE', `/v1/keys/${id}`, { key: admin });
    await call('DELETE', `/v1/keys/${id}`, { key: admin });

    const failures: string[] = [];
    for (const sample of samples) {
      const [method = '', path = ''] = sample.route.split(' ');
      const response = doc.paths[path]?.[method.toLowerCase()]?.responses?.[String(sample.status)];
      if (!response) {
        failures.push(`${sample.route} answered ${sample.status}, which the document does not list`);
        continue;
      }
      const schemaRef = response.content?.['application/json']?.schema;
      if (schemaRef === undefined) {
        if (sample.body !== undefined) failures.push(`${sample.route} ${sample.status} has a body the document does not describe`);
        continue;
      }
      const pointer = ['paths', path, method.toLowerCase(), 'responses', String(sample.status), 'content', 'application/json', 'schema']
        .map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/');
      const validate = ajv.compile({ $ref: `openapi.json#/${pointer}` });
      if (!validate(sample.body)) failures.push(`${sample.route} ${sample.status}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(failures).toEqual([]);
    // The tour reached every route of the table.
    expect(new Set(samples.map((s) => s.route))).toEqual(new Set(routeTable.map((r) => `${r.method} ${r.path}`)));
    expect(samples.length).toBeGreaterThan(30);
  });
});
