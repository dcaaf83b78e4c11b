import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import type { GatewayRoute } from '../../dev/gateway.js';
import { freshDeps, startGateway, type TestClock, testClock } from '../support/dynamodb.js';
import { apiClient } from './api-client.js';

export const START = new Date('2026-11-23T12:00:00.000Z');

export interface ProtectedWorld {
  deps: Deps;
  clock: TestClock;
  url: string;
  api: ReturnType<typeof apiClient>;
  admin: string;
  close(): Promise<void>;
}

/**
 * A keygate of its own per test, for the authorizer and verification tests: a fresh table on
 * DynamoDB Local, the local gateway, a signing-key file in a temporary directory (the issuer
 * is the gateway's URL) and a test clock that keys, tokens and caches all run on.
 */
export async function protectedWorld(routeTable?: readonly GatewayRoute[]): Promise<ProtectedWorld> {
  const clock = testClock(START);
  const deps = await freshDeps({ clock: clock.now });
  const gateway = await startGateway(deps, routeTable);
  const dir = await mkdtemp(join(tmpdir(), 'keygate-protected-'));
  // The gateway holds this very object: from here on its token routes see the issuer and keys.
  deps.tokens = localTokenDeps(gateway.url, { path: join(dir, 'signing-keys.json'), clock: clock.now });
  const admin = (await mintAdminKey(deps)).key;
  return {
    deps,
    clock,
    url: gateway.url,
    api: apiClient(gateway.url),
    admin,
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

export async function createKey(world: ProtectedWorld, body: Record<string, unknown>): Promise<CreatedKey> {
  const response = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: `key-${Math.random().toString(36).slice(2)}`, ...body } });
  if (response.status !== 201) throw new Error(`create key: ${response.status} ${JSON.stringify(response.json)}`);
  return { id: response.json.id, key: response.json.key };
}

/** An access token for `key` from the local token endpoint (client_secret_post). */
export async function tokenFor(world: ProtectedWorld, key: CreatedKey, scope?: string): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: key.id, client_secret: key.key, ...(scope === undefined ? {} : { scope }) });
  const response = await fetch(`${world.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
  const json = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !json.access_token) throw new Error(`token: ${response.status} ${JSON.stringify(json)}`);
  return json.access_token;
}
