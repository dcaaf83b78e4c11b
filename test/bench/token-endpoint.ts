/**
 * Throughput of the local token endpoint and the signing cost per token.
 *
 *   node --import tsx test/bench/token-endpoint.ts [seconds per run, default 10]
 *
 * Starts its own in-memory DynamoDB Local and local gateway (nothing under .keygate/ is
 * touched), creates one key, then: (1) signs tokens in a loop with the real signing code,
 * (2) runs the client credentials grant against POST /oauth/token at several concurrencies.
 * Each exchange is one strongly consistent GetItem (plus the once-a-minute lastUsedAt write),
 * so DynamoDB Local sets the floor; a plain GetItem loop is measured alongside for comparison.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Deps } from '../../functions/shared/deps.js';

// Set before keygate's modules load (they are imported below): the per-request EMF metric lines
// and INFO logs would otherwise bury the numbers.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
const { mintAdminKey } = await import('../../functions/bootstrap/admin-key.js');
const { deploymentConfig } = await import('../../functions/deployment-config.js');
const { findKey } = await import('../../functions/keys/key-store.js');
const { systemClock } = await import('../../functions/shared/clock.js');
const { documentClient } = await import('../../functions/shared/dynamodb.js');
const { signAccessToken } = await import('../../functions/tokens/access-token.js');
const { generateSigningKey, SigningKeyRing } = await import('../../functions/tokens/signing-keys.js');
const { tokenSettings } = await import('../../functions/tokens/token-settings.js');
const { ensureTable } = await import('../../infra/local/create-table.js');
const { localDynamoClientConfig, startDynamoDbLocal } = await import('../../infra/local/dynamodb-local.js');
const { createGateway } = await import('../../infra/local/gateway.js');
const { localTokenDeps } = await import('../../infra/local/local-tokens.js');

const SECONDS = Number(process.argv[2] ?? 10);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function signingCost(alg: 'ES256' | 'EdDSA'): Promise<number> {
  const key = await generateSigningKey(alg, new Date(), new Date());
  const ring = new SigningKeyRing({ load: async () => ({ version: 1, keys: [key] }) }, tokenSettings(deploymentConfig.tokens));
  const signer = await ring.signer(new Date());
  const claims = (i: number) => ({
    iss: 'http://127.0.0.1:3000',
    sub: 'siem',
    aud: 'urn:keygate:api',
    client_id: '0123456789ABCDEFGHIJKL',
    iat: 1_790_000_000,
    exp: 1_790_000_900,
    jti: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    scope: 'alerts:read audit-log:read',
    kg_sfp: 'AAAAAAAAAAAAAAAAAAAAAA',
  });
  for (let i = 0; i < 2_000; i++) await signAccessToken(signer, claims(i)); // warm-up
  const n = 20_000;
  const started = performance.now();
  for (let i = 0; i < n; i++) await signAccessToken(signer, claims(i));
  return ((performance.now() - started) * 1000) / n;
}

async function run(label: string, concurrency: number, once: () => Promise<boolean>) {
  const latencies: number[] = [];
  let failures = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t = performance.now();
      if (await once()) latencies.push(performance.now() - t);
      else failures++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label.padEnd(34)} c=${String(concurrency).padStart(2)}  ${(latencies.length / elapsed).toFixed(0).padStart(5)}/s  p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms${failures ? `  FAILURES ${failures}` : ''}`,
  );
}

async function main() {
  console.log(`node ${process.version}, ${SECONDS} s per run\n`);
  for (const alg of ['ES256', 'EdDSA'] as const) console.log(`signing cost ${alg.padEnd(5)}: ${(await signingCost(alg)).toFixed(1)} µs per token (claims + JWS, one core)`);
  console.log('');

  const dynamoDb = await startDynamoDbLocal();
  const dir = await mkdtemp(join(tmpdir(), 'keygate-bench-'));
  try {
    const config = localDynamoClientConfig(dynamoDb.endpoint);
    await ensureTable(new DynamoDBClient(config), 'bench');
    const deps: Deps = { ddb: documentClient(config), tableName: 'bench', clock: systemClock, config: deploymentConfig };
    const gateway = createGateway({ deps });
    await new Promise<void>((done) => gateway.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(gateway.address() as { port: number }).port}`;
    deps.tokens = localTokenDeps(url, { path: join(dir, 'signing-keys.json') });
    const admin = (await mintAdminKey(deps)).key;
    const created = await fetch(`${url}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', owner: 'bench', permissions: ['alerts:read', 'cases:read'] }),
    }).then((r) => r.json() as Promise<{ id: string; key: string }>);
    const basic = `Basic ${Buffer.from(`${created.id}:${created.key}`).toString('base64')}`;
    const exchange = async () => {
      const response = await fetch(`${url}/oauth/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      await response.arrayBuffer();
      return response.status === 200;
    };
    const getItem = async () => (await findKey(deps, created.id)) !== undefined;
    await run('warm-up', 4, exchange);
    console.log('');
    for (const concurrency of [1, 4, 16, 32]) await run('POST /oauth/token', concurrency, exchange);
    for (const concurrency of [1, 16]) await run('GetItem alone (the floor)', concurrency, getItem);
    gateway.close();
    gateway.closeAllConnections();
  } finally {
    await dynamoDb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
