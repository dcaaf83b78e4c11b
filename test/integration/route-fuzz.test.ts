import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { type RouteDefinition, routes } from '../../functions/routes.js';
import { logger } from '../../functions/observability/logger.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { freshDeps } from '../support/dynamodb.js';
import { withLocalNotifications } from '../support/notifications.js';

/**
 * Generated input at every route of the route table, through the real handlers over DynamoDB
 * Local: bodies (JSON of any shape, near-miss objects with the routes' field names, non-JSON,
 * forms), query strings and path ids, with and without a working credential. No answer may be a
 * 5xx: bad input is the caller's 4xx, never keygate's failure. fast-check shrinks a failure to a
 * small request and prints its seed.
 */
const RUNS_PER_ROUTE = 120;
const ROOT = resolve(import.meta.dirname, '../..');

interface RouteModule {
  route: { handle(event: APIGatewayProxyEventV2, deps: Deps): Promise<APIGatewayProxyStructuredResultV2> };
}

let deps: Deps;
let admin: string;
let victim: { id: string; key: string };
let channelId: string;

beforeAll(async () => {
  deps = withLocalNotifications(await freshDeps()).deps;
  deps.tokens = localTokenDeps('http://127.0.0.1:3000', { path: join(mkdtempSync(join(tmpdir(), 'keygate-fuzz-')), 'signing-keys.json') });
  admin = (await mintAdminKey(deps)).key;
  const create = await handlerOf(routes.find((r) => r.id === 'CreateKey')!);
  const created = await create(
    event('POST', '/v1/keys', { body: JSON.stringify({ name: 'victim', permissions: ['alerts:read'], expiresIn: 'P30D', notification: null }), headers: jsonHeaders(admin) }),
    deps,
  );
  victim = JSON.parse(created.body ?? '{}');
  const channel = await (await handlerOf(routes.find((r) => r.id === 'CreateChannel')!))(
    event('POST', '/v1/channels', { body: JSON.stringify({ type: 'operator', name: 'ops' }), headers: jsonHeaders(admin) }),
    deps,
  );
  channelId = JSON.parse(channel.body ?? '{}').id;
  expect(victim.id).toBeTypeOf('string');
  expect(channelId).toBeTypeOf('string');
}, 60_000);

const modules = new Map<string, Promise<RouteModule>>();
async function handlerOf(route: RouteDefinition) {
  let module = modules.get(route.id);
  if (!module) {
    module = import(pathToFileURL(resolve(ROOT, route.entry)).href) as Promise<RouteModule>;
    modules.set(route.id, module);
  }
  const { route: handler } = await module;
  return (e: APIGatewayProxyEventV2, d: Deps) => handler.handle(e, d);
}

const jsonHeaders = (key: string) => ({ authorization: `Bearer ${key}`, 'content-type': 'application/json' });

function event(
  method: string,
  path: string,
  parts: { body?: string | undefined; headers?: Record<string, string>; query?: Record<string, string>; pathParameters?: Record<string, string>; base64?: boolean },
): APIGatewayProxyEventV2 {
  const body = parts.body === undefined ? undefined : parts.base64 ? Buffer.from(parts.body).toString('base64') : parts.body;
  return {
    version: '2.0',
    routeKey: `${method} ${path}`,
    rawPath: path,
    rawQueryString: new URLSearchParams(parts.query ?? {}).toString(),
    headers: parts.headers ?? {},
    ...(parts.query === undefined ? {} : { queryStringParameters: parts.query }),
    ...(parts.pathParameters === undefined ? {} : { pathParameters: parts.pathParameters }),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: parts.base64 === true,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: 'fuzz',
      routeKey: `${method} ${path}`,
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
  };
}

/* ---- arbitraries ---- */

const base62 = (length: number) => fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'), minLength: length, maxLength: length });
const nasty = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', '', ' ', '\u2028', '\u0000', '0x10', '1e1', '-1', 'NaN', '*', '%', '../', 'a'.repeat(300));
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), nasty);

const fieldValues = fc.oneof(
  text,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('P30D', 'PT1H', 'P6M', 'P99Y', 'PT0S', '2026-12-31T00:00:00Z', '9999-12-31T23:59:59Z', 'alerts:read', 'keys:write', 'constructor:read', 'jwt', 'key', 'webhook', 'email', 'operator'),
  fc.constantFrom(
    [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    [{ role: 'constructor' }],
    [{ role: 'global-admin' }],
    [{ role: 'cloud-account-viewer', scope: '*' }],
    ['alerts:read', 'rules:write'],
    { at: 'P7D', channelId: 'ch_0000000000000000000000' },
    ['ops@example.com'],
    'https://hooks.example.com/x',
    'https://0x7f000001/',
  ),
);
const FIELDS = ['name', 'description', 'owner', 'format', 'roles', 'permissions', 'expiresAt', 'expiresIn', 'notification', 'gracePeriod', 'key', 'permission', 'instance', 'type', 'addresses', 'url'];
const nearMissObject = fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 12 })), fieldValues, { maxKeys: 6 });

const jsonBody = fc.oneof(
  { weight: 4, arbitrary: nearMissObject.map((o) => JSON.stringify(o)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.constantFrom('null', '[]', '"x"', '42', 'true', '{', '{"a":1,"a":2}', '\u0000', '{"__proto__":{"admin":true}}') },
  { weight: 1, arbitrary: fc.string() },
);
const FORM_FIELDS = ['grant_type', 'client_id', 'client_secret', 'scope', 'token', 'token_type_hint'];
const formBody = fc
  .dictionary(fc.oneof(fc.constantFrom(...FORM_FIELDS), fc.string({ maxLength: 8 })), fc.oneof(text, fc.constantFrom('client_credentials', 'alerts:read', 'constructor:read')), { maxKeys: 5 })
  .map((form) => new URLSearchParams(form).toString());

const QUERY_NAMES = ['limit', 'cursor', 'owner', 'status', 'keyId', 'actor', 'action', 'from', 'to', 'acknowledged'];
const queryValue = fc.oneof(
  text,
  fc.constantFrom('1', '25', '100', '101', '0', '0x10', '1e1', ' 5', 'active', 'revoked', 'true', 'false', 'key.create', '2026-01-01T00:00:00Z', 'alice'),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v)).toString('base64url')),
);
const query = fc.option(fc.dictionary(fc.oneof(fc.constantFrom(...QUERY_NAMES), fc.string({ maxLength: 8 })), queryValue, { maxKeys: 4 }), { nil: undefined });

const pathId = () =>
  fc.oneof(
    text,
    base62(22),
    base62(22).map((id) => `ch_${id}`),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-'), minLength: 16, maxLength: 16 }).map((id) => `msg_${id}`),
    fc.constant(victim.id),
    fc.constant(channelId),
  );

const credential = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constant(`Bearer ${admin}`) },
    { weight: 1, arbitrary: fc.constant(`Bearer ${victim.key}`) },
    { weight: 1, arbitrary: fc.oneof(text, fc.constant(`Basic ${Buffer.from(`${victim.id}:${victim.key}`).toString('base64')}`)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );

function requestOf(route: RouteDefinition) {
  const form = route.path.startsWith('/oauth/');
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
  return fc.record({
    authorization: credential(),
    contentType: fc.oneof(
      { weight: 6, arbitrary: fc.constant(form ? 'application/x-www-form-urlencoded' : 'application/json') },
      { weight: 1, arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded; charset=utf-16', 'multipart/form-data') },
    ),
    body: route.method === 'GET' || route.method === 'DELETE' ? fc.option(jsonBody, { nil: undefined, freq: 8 }) : fc.option(form ? formBody : jsonBody, { nil: undefined, freq: 6 }),
    base64: fc.boolean(),
    query,
    pathParameters: fc.record(Object.fromEntries(params.map((name) => [name, pathId()]))),
  });
}

describe('generated requests at every route of the route table', () => {
  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s never answers a 5xx', async (_, route) => {
    vi.spyOn(logger, 'info').mockImplementation(() => {});
    vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const handle = await handlerOf(route);
    await fc.assert(
      fc.asyncProperty(requestOf(route), async (request) => {
        const headers: Record<string, string> = {};
        if (request.authorization !== undefined) headers.authorization = request.authorization;
        if (request.contentType !== undefined) headers['content-type'] = request.contentType;
        const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(request.pathParameters[name] ?? ''));
        const response = await handle(
          event(route.method, path, { body: request.body, base64: request.base64, headers, query: request.query, pathParameters: request.pathParameters }),
          deps,
        );
        expect(response.statusCode, `${response.statusCode} ${response.body}`).toBeLessThan(500);
        expect(() => JSON.parse(response.body ?? '""')).not.toThrow();
      }),
      { numRuns: RUNS_PER_ROUTE },
    );
  }, 60_000);
});
