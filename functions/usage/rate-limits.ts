import type { Deps } from '../runtime/deps.js';
import { LimitRefusalError, type LimitState } from '../shared/errors.js';
import { BoundedMap } from '../shared/bounded-map.js';
import { addToCounter, COUNTER_TTL_MARGIN_SECONDS, limitPk } from './limit-counters.js';
import { FAST_SYNC_MS, fastBatch, type RateLimit, strictShardCount, strictShares, windowSeconds } from './limit-model.js';

/**
 * Per-key rate limits: `{ limit, window, mode }`, several per key (say per second and per day).
 * Fixed windows: a window of w seconds starts at every multiple of w since the Unix epoch, and a
 * key gets at most `limit` uses in each. (A burst of up to 2 × limit is possible across a window
 * boundary, as with any fixed window.) Two ways to count:
 *
 * - strict: one conditional UpdateItem ADD per use on the window's item, refused by DynamoDB once
 *   the count reaches the limit. Exact: never more than `limit` uses in a window. A limit above
 *   SHARD_RATE uses per second is spread over shards, each with its share of the limit
 *   (strictShares); a use tries another shard when its shard is full, so the limit is exact too.
 * - fast: each process counts in memory and reconciles with DynamoDB (one unconditional ADD of its
 *   local count, returning the global count) at the latest every FAST_SYNC_MS or every
 *   fastBatch(limit) uses. Overshoot: at most (P − 1) × fastBatch(limit) uses over the limit in a
 *   window, P being the processes counting the key at once (see fastAdmit).
 */

interface Window {
  start: number;
  end: number;
}

function windowAt(seconds: number, now: Date): Window {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const start = Math.floor(nowSeconds / seconds) * seconds;
  return { start, end: start + seconds };
}

function refusal(keyId: string, limit: RateLimit, seconds: number, window: Window, now: Date): LimitRefusalError {
  const state: LimitState = {
    limit: limit.limit,
    remaining: 0,
    resetSeconds: Math.max(1, Math.ceil(window.end - now.getTime() / 1000)),
    policy: `${limit.limit};w=${seconds}`,
  };
  const message = `the key is over its rate limit of ${limit.limit} per ${limit.window}; retry in ${state.resetSeconds} s`;
  return new LimitRefusalError('rate_limited', message, { keyId, known: true }, state);
}

/**
 * Counts one use of a key against each of its rate limits, or throws LimitRefusalError
 * (rate_limited) when one of them is used up; a counter that cannot be moved throws
 * UnavailableError (refused, never let through). The limits are counted in parallel: a use
 * refused by one limit still counts against the others it fitted (the longest wait is reported).
 * `counters`: the key whose window counters move (a rotation's predecessor: KeyRecord.limitsCountedOn).
 */
export async function countRateLimits(deps: Deps, keyId: string, limits: readonly RateLimit[], counters: string = keyId): Promise<void> {
  const now = deps.clock();
  const results = await Promise.allSettled(limits.map((limit, index) => admit(deps, keyId, counters, index, limit, now)));
  let refused: LimitRefusalError | undefined;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    if (!(result.reason instanceof LimitRefusalError)) throw result.reason;
    if (refused === undefined || (result.reason.state.resetSeconds ?? 0) > (refused.state.resetSeconds ?? 0)) refused = result.reason;
  }
  if (refused) throw refused;
}

/** `keyId`: the key used (named in a refusal); `counters`: the key whose counters move (see countRateLimits). */
function admit(deps: Deps, keyId: string, counters: string, index: number, limit: RateLimit, now: Date): Promise<void> {
  return limit.mode === 'fast' ? fastAdmit(deps, keyId, counters, index, limit, now) : strictAdmit(deps, keyId, counters, index, limit, now);
}

/* ---- strict ---- */

/** Shards seen full in this process, by table, key, limit, window and shard: they stay full until the window ends. */
const fullShards = new BoundedMap<true>(20_000);

async function strictAdmit(deps: Deps, keyId: string, counters: string, index: number, limit: RateLimit, now: Date): Promise<void> {
  const seconds = windowSeconds(limit.window);
  const window = windowAt(seconds, now);
  const shards = strictShardCount(limit);
  const shares = strictShares(limit.limit, shards);
  const ttl = window.end + COUNTER_TTL_MARGIN_SECONDS;
  const first = shards === 1 ? 0 : Math.floor(Math.random() * shards);
  for (let tried = 0; tried < shards; tried++) {
    const shard = (first + tried) % shards;
    const share = shares[shard] ?? 0;
    const memo = `${deps.tableName}\0${counters}\0${index}\0${window.start}\0${shard}\0${share}`;
    if (share === 0 || fullShards.has(memo)) continue;
    const sk = shards === 1 ? `${index}#${window.start}` : `${index}#${window.start}#${shard}`;
    const outcome = await addToCounter(deps, { pk: limitPk(counters), sk }, 'hits', 1, ttl, share, 'rate_limit');
    if (outcome.ok) return;
    fullShards.set(memo, true);
  }
  throw refusal(keyId, limit, seconds, window, now);
}

/* ---- fast ---- */

interface FastCounter {
  /** The global count the last reconciliation returned (this process's reconciled uses included). */
  global: number;
  /** Uses this process admitted since (not yet in `global`). */
  pending: number;
  /** When the last reconciliation ended (clock ms); -Infinity: never, so the first use reconciles. */
  lastSync: number;
  syncing: Promise<void> | undefined;
}

/**
 * Fast counters, one space per DynamoDB client: a function instance (a process) holds one client,
 * so this is per process; a test stands in several processes with several clients.
 */
const fastSpaces = new WeakMap<object, BoundedMap<FastCounter>>();

function fastCountersOf(deps: Deps): BoundedMap<FastCounter> {
  let space = fastSpaces.get(deps.ddb);
  if (space === undefined) {
    space = new BoundedMap<FastCounter>(20_000);
    fastSpaces.set(deps.ddb, space);
  }
  return space;
}

/**
 * Admits a use when `global + pending < limit`, then reconciles (one ADD of `pending`, returning
 * the global count) once `pending` reaches K = fastBatch(limit) or FAST_SYNC_MS passed; a use that
 * finds K uses pending while a reconciliation is under way waits for it. So a process never holds
 * more than K uses the table does not know of, and `global` only ever lags the true count.
 *
 * Overshoot bound: take the process j whose last reconciliation in the window came last. Its
 * answer counted every use reconciled before it; j admitted its last use with global_j + pending_j
 * ≤ limit; every other process holds at most K uses not in global_j. So a window admits at most
 * limit + (P − 1) × K uses. A refusal is never wrong: global + pending never exceeds the truth.
 * A reconciliation that fails refuses the use that triggered it (503) and keeps the others' count.
 */
async function fastAdmit(deps: Deps, keyId: string, counters: string, index: number, limit: RateLimit, now: Date): Promise<void> {
  const seconds = windowSeconds(limit.window);
  const window = windowAt(seconds, now);
  const id = `${deps.tableName}\0${counters}\0${index}\0${window.start}`;
  const space = fastCountersOf(deps);
  let counter = space.get(id);
  if (counter === undefined) {
    counter = { global: 0, pending: 0, lastSync: Number.NEGATIVE_INFINITY, syncing: undefined };
    space.set(id, counter);
  }
  const batch = fastBatch(limit.limit);
  for (;;) {
    if (counter.global + counter.pending >= limit.limit) throw refusal(keyId, limit, seconds, window, now);
    if (counter.pending < batch) break;
    // K uses pending: a reconciliation (under way, or started here) must land first; its failure refuses this use.
    await reconcile(deps, counters, index, window, counter, now);
  }
  counter.pending++;
  const due = counter.pending >= batch || now.getTime() - counter.lastSync >= FAST_SYNC_MS;
  if (!due || counter.syncing) return;
  try {
    await reconcile(deps, counters, index, window, counter, now);
  } catch (error) {
    counter.pending = Math.max(0, counter.pending - 1);
    throw error;
  }
}

function reconcile(deps: Deps, counters: string, index: number, window: Window, counter: FastCounter, now: Date): Promise<void> {
  if (counter.syncing) return counter.syncing;
  const delta = counter.pending;
  const run = async () => {
    try {
      const sk = `${index}#${window.start}`;
      const ttl = window.end + COUNTER_TTL_MARGIN_SECONDS;
      const outcome = await addToCounter(deps, { pk: limitPk(counters), sk }, 'hits', delta, ttl, undefined, 'rate_limit');
      if (outcome.ok) {
        counter.pending -= delta;
        counter.global = Math.max(counter.global, outcome.count);
        counter.lastSync = now.getTime();
      }
    } finally {
      counter.syncing = undefined;
    }
  };
  counter.syncing = run();
  return counter.syncing;
}

/** Forgets this process's full-shard memos and the fast counters of `deps`' client (the bench, between rows). */
export function resetRateLimitMemory(deps: Deps): void {
  fullShards.clear();
  fastSpaces.delete(deps.ddb);
}
