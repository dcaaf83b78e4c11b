import './bench-environment.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ownTokenTrust } from '../../functions/access/verify-credential.js';
import { type AuthorizerSettings, checkSettings, decide } from '../../functions/authorizer/authorizer.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { systemClock } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/shared/deps.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { issueAccessToken } from '../../functions/tokens/token-service.js';
import { ensureTable } from '../../infra/local/create-table.js';
import { localDynamoClientConfig, startDynamoDbLocal } from '../../infra/local/dynamodb-local.js';
import { localTokenDeps } from '../../infra/local/local-tokens.js';

/**
 * Verification latency, in process, on one DynamoDB Local: the authorizer's decision for a key
 * (one consistent GetItem, the permission check, and the once-a-minute lastUsedAt write) next
 * to a plain consistent GetItem of the same item, measured interleaved so both see the same
 * load; and the decision for an access token (no I/O). Run: npx tsx test/bench/verification-latency.ts
 */
const ROUNDS = Number(process.env.ROUNDS ?? 2000);
const WARMUP = 200;

function summary(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  return { median: ms(pick(0.5)), p90: ms(pick(0.9)), p99: ms(pick(0.99)), max: ms(sorted.at(-1) ?? Number.NaN) };
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function main(): Promise<void> {
  const dynamoDb = await startDynamoDbLocal();
  const dir = await mkdtemp(join(tmpdir(), 'keygate-bench-'));
  try {
    const config = localDynamoClientConfig(dynamoDb.endpoint);
    const tableName = 'bench';
    await ensureTable(new DynamoDBClient(config), tableName);
    const deps: Deps = { ddb: documentClient(config), tableName, clock: systemClock, config: deploymentConfig };
    const tokens = localTokenDeps('http://127.0.0.1:3000', { path: join(dir, 'signing-keys.json') });
    deps.tokens = tokens;

    const { key, details } = await mintAdminKey(deps);
    await tokens.keys.jwks(new Date()); // creates the first signing key
    await new Promise((done) => setTimeout(done, 10));
    const { accessToken } = await issueAccessToken(deps, tokens, { clientId: details.id, clientSecret: key }, undefined, { requestId: 'bench', sourceIp: null, userAgent: null });

    const settings: AuthorizerSettings = checkSettings(deploymentConfig.catalog, {
      routes: { 'GET /alerts': { permission: 'alerts:read' } },
      credentialHeaders: ['authorization'],
      tokens: ownTokenTrust(tokens),
    });
    const getItem = () => deps.ddb.send(new GetCommand({ TableName: tableName, Key: { pk: `KEY#${details.id}`, sk: 'KEY' }, ConsistentRead: true }));
    const keyDecision = async () => {
      const decision = await decide(deps, settings, { routeKey: 'GET /alerts', headers: { authorization: `Bearer ${key}` }, pathParameters: {} });
      if (!decision.allow) throw new Error(`refused: ${decision.reason}`);
    };
    const tokenDecision = async () => {
      const decision = await decide(deps, settings, { routeKey: 'GET /alerts', headers: { authorization: `Bearer ${accessToken}` }, pathParameters: {} });
      if (!decision.allow) throw new Error(`refused: ${decision.reason}`);
    };

    for (let i = 0; i < WARMUP; i++) {
      await getItem();
      await keyDecision();
      await tokenDecision();
    }
    const samples = { getItem: [] as number[], key: [] as number[], token: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      samples.getItem.push(await time(getItem));
      samples.key.push(await time(keyDecision));
      samples.token.push(await time(tokenDecision));
    }
    console.log(`${ROUNDS} rounds after ${WARMUP} warm-up rounds, interleaved, on DynamoDB Local (${dynamoDb.endpoint}):`);
    console.table({
      'plain GetItem (consistent)': summary(samples.getItem),
      'authorizer decision, key': summary(samples.key),
      'authorizer decision, token': summary(samples.token),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await dynamoDb.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
