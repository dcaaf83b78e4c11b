import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';
import { localTokenDeps } from '../../dev/local-tokens.js';
import type { GatewayRoute } from '../../dev/gateway.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { ACCESS_TOKEN_TYPE } from '../../functions/tokens/access-token.js';
import { apiClient } from '../integration/api-client.js';
import { freshDeps, startGateway, type TestClock, testClock } from './dynamodb.js';
import { withTableAccess } from './table-access-guard.js';
import { functionTableAccess } from '../../functions/contract/table-access.js';

export const START = new Date('2026-11-23T12:00:00.000Z');
export const AUDIENCE = 'urn:keygate:api';

/**
 * The one test world of the HTTP suites (token endpoints, authorizer, verification, audit,
 * OpenAPI): a keygate of its own per test, with a fresh table on DynamoDB Local, the local
 * gateway serving every route (or the table given), a signing-key file in a temporary directory
 * (the issuer is the gateway's URL), an admin key, and a test clock that keys, tokens,
 * signing-key activation and caches all run on.
 */
export interface KeygateWorld {
  deps: Deps;
  clock: TestClock;
  url: string;
  api: ReturnType<typeof apiClient>;
  admin: string;
  /** The signing-key file of this test (a temporary directory). */
  keyFile: string;
  close(): Promise<void>;
}

export async function keygateWorld(routeTable?: readonly GatewayRoute[]): Promise<KeygateWorld> {
  const clock = testClock(START);
  const deps = await freshDeps({ clock: clock.now });
  const gateway = await startGateway(deps, routeTable);
  const dir = await mkdtemp(join(tmpdir(), 'keygate-world-'));
  const keyFile = join(dir, 'signing-keys.json');
  // The gateway holds this very object: from here on its token routes see the issuer and keys.
  deps.tokens = localTokenDeps(gateway.url, { path: keyFile, clock: clock.now });
  // As the bootstrap function mints it on AWS: held to its role's table grants.
  const admin = (await withTableAccess('Bootstrap', functionTableAccess.bootstrap, () => mintAdminKey(deps))).key;
  return {
    deps,
    clock,
    url: gateway.url,
    api: apiClient(gateway.url),
    admin,
    keyFile,
    close: async () => {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface CreatedKey {
  id: string;
  key: string;
}

export async function createKey(world: KeygateWorld, body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: `key-${Math.random().toString(36).slice(2)}`, ...body } });
  if (response.status !== 201) throw new Error(`create key: ${response.status} ${JSON.stringify(response.json)}`);
  return { id: response.json.id, key: response.json.key };
}

/** POSTs a form, as curl -d would; `basic` sends client_secret_basic with RFC 6749's form-encoding. */
export async function postForm(world: KeygateWorld, path: string, form: string | Record<string, string>, headers: Record<string, string> = {}) {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  const response = await fetch(world.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await response.text();
  // biome-ignore lint/suspicious/noExplicitAny: asserted field by field
  const json: any = text === '' ? undefined : JSON.parse(text);
  return { status: response.status, headers: response.headers, json };
}

export function basic(clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/** An access token for `key` from the local token endpoint (client_secret_basic). */
export async function tokenFor(world: KeygateWorld, key: CreatedKey, scope?: string): Promise<string> {
  const form = { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) };
  const response = await postForm(world, '/oauth/token', form, { authorization: basic(key.id, key.key) });
  if (response.status !== 200) throw new Error(`token: ${response.status} ${JSON.stringify(response.json)}`);
  return response.json.access_token;
}

export async function fetchJwks(world: KeygateWorld): Promise<JSONWebKeySet> {
  return (await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet;
}

/** A resource server's check: algorithm, issuer, audience and type pinned, against a JWKS. */
export function verifyAsResourceServer(world: KeygateWorld, token: string, jwks: JSONWebKeySet, at: Date = world.clock()) {
  return jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: ['ES256'],
    issuer: world.url,
    audience: AUDIENCE,
    typ: ACCESS_TOKEN_TYPE,
    currentDate: at,
  });
}

export async function introspect(world: KeygateWorld, token: string, caller = world.admin) {
  return postForm(world, '/oauth/introspect', { token }, { authorization: `Bearer ${caller}` });
}
