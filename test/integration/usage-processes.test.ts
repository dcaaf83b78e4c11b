import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { freshDeps, startGateway } from '../support/dynamodb.js';
import type { ForkedServer } from '../support/forked-server.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { basic } from '../support/world.js';
import { apiClient } from './api-client.js';

/**
 * The acceptance test for usage counts (#17): two real keygate gateway processes over one
 * DynamoDB Local table, each counting in its own memory; requests go through both; each is stopped
 * with SIGTERM (and so flushes, as `npm start` and a Lambda instance with a SIGTERM do); then the
 * usage route's totals are exactly the requests made.
 */
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function twoGateways(): Promise<{ deps: Deps; admin: string; processes: ForkedServer<{ url: string }>[] }> {
  const deps = await freshDeps();
  const dir = await mkdtemp(join(tmpdir(), 'keygate-usage-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const signingKeysPath = join(dir, 'signing-keys.json');
  // The first signing key, written before either process reads the file.
  await localTokenDeps('http://127.0.0.1', { path: signingKeysPath }).keys.jwks(new Date());
  const admin = (await mintAdminKey(deps)).key;
  const config = { endpoint: inject('dynamoDbEndpoint'), tableName: deps.tableName, signingKeysPath };
  const processes = await Promise.all([startGatewayProcess(config), startGatewayProcess(config)]);
  for (const gateway of processes) cleanups.push(() => gateway.stop('SIGKILL'));
  return { deps, admin, processes };
}

describe('usage counts across gateway processes', () => {
  it('add up to the requests made through two gateway processes, once each has flushed on SIGTERM', { timeout: 90_000 }, async () => {
    const { deps, admin, processes } = await twoGateways();
    const [a, b] = processes.map((p) => apiClient(p.ready.url)) as [ReturnType<typeof apiClient>, ReturnType<typeof apiClient>];
    const [urlA, urlB] = processes.map((p) => p.ready.url) as [string, string];

    const body = { name: 'busy', owner: 'acme', permissions: ['keys:read', 'key-verification:read'] };
    const created = await a('POST', '/v1/keys', { key: admin, body });
    expect(created.status).toBe(201);
    const key: { id: string; key: string } = created.json;
    const made = { allowed: 0, refused: 0 };
    const use = async (call: Promise<{ status: number }>, status: number, outcome: keyof typeof made) => {
      expect((await call).status).toBe(status);
      made[outcome] += 1;
    };
    const uses: Promise<void>[] = [];
    for (let i = 0; i < 12; i++) {
      uses.push(use(a('GET', '/v1/catalog', { key: key.key }), 200, 'allowed'));
      uses.push(use(b('GET', '/v1/catalog', { key: key.key }), 200, 'allowed'));
    }
    for (let i = 0; i < 5; i++) uses.push(use(b('POST', '/v1/keys/verify', { key: key.key, body: { key: key.key } }), 200, 'allowed'));
    // Its self-verification above counts twice per call (the service's key and the key verified).
    made.allowed += 5;
    for (let i = 0; i < 3; i++) uses.push(use(a('GET', '/v1/audit', { key: key.key }), 403, 'refused'));
    const form = new URLSearchParams({ grant_type: 'client_credentials' }).toString();
    for (const url of [urlA, urlB]) {
      const token = fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic(key.id, key.key), 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      uses.push(use(token, 200, 'allowed'));
    }
    await Promise.all(uses);

    for (const gateway of processes) expect(await gateway.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    const reader = await startGateway(deps);
    cleanups.push(() => reader.close());
    const usage = await apiClient(reader.url)('GET', `/v1/keys/${key.id}/usage`, { key: admin });
    expect(usage.status).toBe(200);
    expect(made).toEqual({ allowed: 36, refused: 3 });
    expect(usage.json.total).toEqual({ allowed: made.allowed, rateLimited: 0, refused: made.refused });
    const byMinute = await apiClient(reader.url)('GET', `/v1/keys/${key.id}/usage?granularity=minute`, { key: admin });
    expect(byMinute.json.total).toEqual(usage.json.total);
    // The key details show the same, as the last 24 hours' total.
    expect((await apiClient(reader.url)('GET', `/v1/keys/${key.id}`, { key: admin })).json.usage24h).toMatchObject({ allowed: 36, refused: 3 });
  });
});
