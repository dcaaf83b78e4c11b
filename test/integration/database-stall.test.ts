import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkSettings, decide } from '../../functions/authorizer/authorizer.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { logger } from '../../functions/observability/logger.js';
import { systemClock } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { DYNAMODB_TIMEOUTS, documentClient } from '../../functions/shared/dynamodb.js';
import { ensureTable } from '../../dev/create-table.js';
import { type DynamoDbLocal, localDynamoClientConfig, startDynamoDbLocal } from '../../dev/dynamodb-local.js';
import { localTokenDeps } from '../../dev/local-tokens.js';
import { startGateway } from '../support/dynamodb.js';
import { apiClient } from './api-client.js';

/**
 * A stalled database: a DynamoDB Local of this test's own, its Java process paused (SIGSTOP)
 * while requests come in. Every DynamoDB call is bounded (functions/shared/dynamodb.ts), so the
 * routes answer 503 `unavailable` with Retry-After well within the functions' 10 s timeout, the
 * OAuth routes `temporarily_unavailable`, and the authorizer denies. Resumed (SIGCONT) in
 * `finally` and stopped in afterAll, whatever happens.
 */
let local: DynamoDbLocal;
let deps: Deps;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;
let user: { id: string; key: string };

/** Well under the function timeout (10 s), with room for a slow shared machine. */
const ANSWER_WITHIN_MS = DYNAMODB_TIMEOUTS.deadlineMs + 3_000;

beforeAll(async () => {
  local = await startDynamoDbLocal();
  const config = localDynamoClientConfig(local.endpoint);
  const raw = new DynamoDBClient(config);
  await ensureTable(raw, 'stall');
  raw.destroy();
  deps = { ddb: documentClient(config), tableName: 'stall', clock: systemClock, config: deploymentConfig };
  gateway = await startGateway(deps);
  deps.tokens = localTokenDeps(gateway.url, { path: join(mkdtempSync(join(tmpdir(), 'keygate-stall-')), 'signing-keys.json') });
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
  const created = await api('POST', '/v1/keys', { key: admin, body: { name: 'user', permissions: ['alerts:read'], expiresIn: 'P30D', notification: null } });
  expect(created.status).toBe(201);
  user = created.json;
}, 60_000);

afterAll(async () => {
  if (local?.pid !== undefined) {
    try {
      process.kill(local.pid, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  await gateway?.close();
  await local?.stop();
});

async function timed<T>(call: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await call();
  return { value, ms: performance.now() - started };
}

describe('a stalled database', () => {
  it('answers 503 unavailable with Retry-After, OAuth temporarily_unavailable, and the authorizer denies', async () => {
    vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const settings = checkSettings(deploymentConfig.catalog, { routes: { 'GET /alerts': { permission: 'alerts:read' } }, credentialHeaders: ['authorization'] });
    const pid = local.pid;
    if (pid === undefined) throw new Error('DynamoDB Local has no pid');
    process.kill(pid, 'SIGSTOP');
    try {
      const [listed, fetched, reset, token, decision] = await Promise.all([
        timed(() => api('GET', '/v1/keys', { key: admin })),
        timed(() => api('GET', `/v1/keys/${user.id}`, { key: user.key })),
        timed(() => api('POST', `/v1/keys/${user.id}/reset`, { key: admin })),
        timed(() =>
          fetch(`${gateway.url}/oauth/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'client_credentials', client_id: user.id, client_secret: user.key }),
          }).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), json: (await r.json()) as { error: string } })),
        ),
        timed(() => decide(deps, settings, { routeKey: 'GET /alerts', headers: { authorization: `Bearer ${user.key}` }, pathParameters: {} })),
      ]);
      for (const response of [listed, fetched, reset]) {
        expect(response.value.status).toBe(503);
        expect(response.value.headers.get('retry-after')).toMatch(/^\d+$/);
        expect(response.value.json.error).toMatchObject({ code: 'unavailable', requestId: expect.any(String) });
        expect(response.ms).toBeLessThan(ANSWER_WITHIN_MS);
      }
      expect(token.value).toMatchObject({ status: 503, retryAfter: expect.stringMatching(/^\d+$/), json: { error: 'temporarily_unavailable' } });
      expect(token.ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect(decision.value).toEqual({ allow: false, status: 503, reason: 'unavailable' });
      expect(decision.ms).toBeLessThan(ANSWER_WITHIN_MS);
      expect(logger.warn).toHaveBeenCalledWith('keygate authorizer: the table did not answer in time; denying', { routeKey: 'GET /alerts' });
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    // Resumed, the same clients work again (a stalled connection is not reused).
    const after = await api('GET', `/v1/keys/${user.id}`, { key: admin });
    expect(after.status).toBe(200);
    // The stalled reset changed nothing: the user's key still works.
    const decided = await decide(deps, settings, { routeKey: 'GET /alerts', headers: { authorization: `Bearer ${user.key}` }, pathParameters: {} });
    expect(decided.allow).toBe(true);
  }, 60_000);
});
