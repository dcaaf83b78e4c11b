import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { ownTokenTrust, verifyCredential } from '../../functions/access/verify-credential.js';
import { verifyKey } from '../../functions/access/verify-key.js';
import { ACCESS_TOKEN_TYPE } from '../../functions/tokens/access-token.js';
import { issueAccessToken } from '../../functions/tokens/token-service.js';
import { usagePartition } from '../../functions/usage/usage-store.js';
import { flushUsage } from '../../functions/usage/usage-counts.js';
import { WRITE_OPERATIONS } from '../support/ddb-calls.js';
import { testClock } from '../support/dynamodb.js';
import type { BenchWorld } from './bench-world.js';
import { leanFloor } from './lean-floor.js';
import { interleaved, microsecondsPerCall, type Summary, summarize } from './stats.js';

/** Measurements that call keygate's domain functions in this process, against DynamoDB Local. */

/** The verifying service's request, for the audit entry of a refused key. */
const ORIGIN = { requestId: 'bench', sourceIp: '127.0.0.1', userAgent: 'keygate-bench' };

export interface KeyVerificationFigures {
  verify: Summary;
  /** The same GetItem through the AWS SDK's document client (the SDK floor). */
  getItem: Summary;
  /** The same GetItem pre-signed and replayed over keep-alive (lean-floor.ts: the physical floor). */
  leanGetItem: Summary;
}

/** verifyKey (what POST /v1/keys/verify runs: one consistent GetItem, hash, status, permission) next to that GetItem alone, both ways. */
export async function keyVerificationInProcess(world: BenchWorld, rounds: number): Promise<KeyVerificationFigures> {
  const { deps, keys } = world;
  const lean = await leanFloor(world.endpoint, deps.tableName, [keys.subject.details.id]);
  const leanGetItem = async () => {
    if (!(await lean.getItem())) throw new Error('bench: the lean floor did not find the subject key');
  };
  const getItem = () => deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: `KEY#${keys.subject.details.id}`, sk: 'KEY' }, ConsistentRead: true }));
  const verify = async () => {
    const result = await verifyKey(deps, { key: keys.subject.key, permission: 'alerts:read' }, ORIGIN);
    if (!result.valid) throw new Error(`bench: the subject key was refused (${result.code})`);
  };
  try {
    const samples = await interleaved({ leanGetItem, getItem, verify }, { warmup: Math.ceil(rounds / 10), rounds });
    return { verify: summarize(samples.verify), getItem: summarize(samples.getItem), leanGetItem: summarize(samples.leanGetItem) };
  } finally {
    lean.close();
  }
}

export interface TokenVerificationFigures {
  keygateMicros: number;
  joseMicros: number;
}

/**
 * An access token through verifyCredential (what the authorizer runs for a token: JWKS from
 * memory, signature, claims, grants) next to jose's jwtVerify alone with the same checks and a
 * key set built once.
 */
export async function tokenVerification(world: BenchWorld): Promise<TokenVerificationFigures> {
  const { deps, tokens, keys } = world;
  const origin = { requestId: 'bench', sourceIp: null, userAgent: null };
  const { accessToken } = await issueAccessToken(deps, tokens, { clientId: keys.subject.details.id, clientSecret: keys.subject.key }, undefined, origin);
  const trust = ownTokenTrust(tokens);
  const jwks = await tokens.keys.jwks(new Date());
  const keySet = createLocalJWKSet(jwks);
  const algorithms = jwks.keys.map((key) => key.alg ?? 'ES256');
  const keygate = async () => {
    await verifyCredential(deps, { header: 'authorization', value: accessToken }, trust);
  };
  const jose = async () => {
    await jwtVerify(accessToken, keySet, { algorithms, issuer: trust.issuer, audience: trust.audience, typ: ACCESS_TOKEN_TYPE });
  };
  const micros = await microsecondsPerCall({ keygate, jose }, { batches: 30, batch: 200 });
  return { keygateMicros: micros.keygate, joseMicros: micros.jose };
}

export interface RefusalFigures {
  micros: number;
  refusals: number;
  dbCalls: number;
}

/** A key string whose checksum does not match: refused by verifyKey without a database call. */
export async function badChecksumRefusal(world: BenchWorld): Promise<RefusalFigures> {
  const { deps, keys, calls } = world;
  const last = keys.subject.key.at(-1);
  const bad = `${keys.subject.key.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
  let refusals = 0;
  const refuse = async () => {
    const result = await verifyKey(deps, { key: bad }, ORIGIN);
    if (result.valid || result.code !== 'malformed') throw new Error(`bench: a bad-checksum key was answered ${result.code}`);
    refusals++;
  };
  calls.reset();
  const { refuse: micros } = await microsecondsPerCall({ refuse }, { batches: 20, batch: 500 });
  return { micros, refusals, dbCalls: calls.total() };
}

export interface UseWriteFigures {
  verifications: number;
  spanSeconds: number;
  /** Every write the verifications caused but the usage counts': use records (lastUsedAt) and anything else. */
  writes: number;
  /** Of them, the use records: UpdateItem of the key's item. */
  useRecords: number;
  /**
   * Usage-count writes (UpdateItem USAGE#<key id>) sent meanwhile: a flush comes every
   * usage.flushIntervalSeconds of real time, whatever the number of verifications (per 1,000
   * verifications: test/bench/usage-flush.ts), so they are reported apart, not in `writes`.
   */
  usageWrites: number;
}

/**
 * 10,000 verifications of one never-used key spread over one minute of the test clock, 20 at a
 * time (so many read the same stale lastUsedAt), counting the write calls they cause. The usage
 * counts of earlier measurements are flushed first, so none of their writes lands in the count;
 * a usage flush that comes due during the row (it is timed by real time, not by the test clock)
 * is counted apart (usageWrites).
 */
export async function writesPerMinute(world: BenchWorld, verifications = 10_000, concurrency = 20): Promise<UseWriteFigures> {
  const key = await world.freshKey('bench-writes');
  const clock = testClock(new Date());
  const deps = { ...world.deps, clock: clock.now };
  const stepMs = 60_000 / verifications; // the last verification is one step short of a minute after the first
  let started = 0;
  await flushUsage(world.deps);
  world.calls.reset();
  const worker = async () => {
    while (started < verifications) {
      if (started > 0) clock.advance(stepMs);
      started++;
      const result = await verifyKey(deps, { key: key.key }, ORIGIN);
      if (!result.valid) throw new Error(`bench: the key was refused (${result.code})`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const partition = (input: Record<string, unknown>) => String((input.Key as { pk?: unknown } | undefined)?.pk);
  const writes = world.calls.sent().filter(({ operation }) => WRITE_OPERATIONS.has(operation));
  const usageWrites = writes.filter(({ operation, input }) => operation === 'UpdateItem' && partition(input) === usagePartition(key.details.id)).length;
  const useRecords = writes.filter(({ operation, input }) => operation === 'UpdateItem' && partition(input) === `KEY#${key.details.id}`).length;
  return { verifications: started, spanSeconds: ((started - 1) * stepMs) / 1000, writes: writes.length - usageWrites, useRecords, usageWrites };
}
