import { getKey, loadManagedKey } from '../keys/key-lifecycle.js';
import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { ValidationError } from '../shared/errors.js';
import type { KeyUsageQuery } from './schemas.js';
import { bucketStart, queryUsage, sumUsage, type UsageBucket, type UsageCounts, type UsageGranularity } from './usage-store.js';
import { settleAll } from '../shared/settled.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const BUCKET_MS: Record<UsageGranularity, number> = { minute: 60_000, hour: HOUR_MS };

/**
 * The longest span one request may ask for, per granularity: the minute counts' retention (a day)
 * and the hour counts' (90 days). Either fits one response (at most 1,440 or 2,160 buckets of ~90
 * bytes of JSON), so the answer is never paged.
 */
export const MAX_USAGE_SPAN_MS: Record<UsageGranularity, number> = { minute: DAY_MS, hour: 90 * DAY_MS };
const SPAN_TEXT: Record<UsageGranularity, string> = { minute: '24 hours (PT24H)', hour: '90 days (P90D)' };
/** Without from: this long before `to`. */
const DEFAULT_SPAN_MS = DAY_MS;

export interface KeyUsage {
  keyId: string;
  granularity: UsageGranularity;
  from: string;
  to: string;
  buckets: UsageBucket[];
  total: UsageCounts;
}

/**
 * The span a query asks for, defaults filled in (to: the end of the current minute or hour, so the
 * bucket under way is in; from: a day before to), or a 400 saying what is wrong.
 */
export function usageSpan(query: KeyUsageQuery, now: Date): { from: Date; to: Date } {
  const to = query.to === undefined ? new Date(bucketStart(now, query.granularity) + BUCKET_MS[query.granularity]) : new Date(query.to);
  const from = query.from === undefined ? new Date(to.getTime() - DEFAULT_SPAN_MS) : new Date(query.from);
  if (from.getTime() >= to.getTime()) throw new ValidationError(`from (${from.toISOString()}) must be before to (${to.toISOString()})`);
  if (to.getTime() - from.getTime() > MAX_USAGE_SPAN_MS[query.granularity]) {
    const span = `the span from ${from.toISOString()} to ${to.toISOString()}`;
    throw new ValidationError(`${span} is too long: at most ${SPAN_TEXT[query.granularity]} by ${query.granularity}`);
  }
  return { from, to };
}

/**
 * GET /v1/keys/{id}/usage: the key's counts by minute or hour over a span. The key is read as GET
 * /v1/keys/{id} reads it (loadManagedKey): a key the principal may not see answers 404, whether or
 * not it has counts. The span is checked before any read.
 */
export async function readKeyUsage(deps: Deps, principal: Principal, id: string, query: KeyUsageQuery): Promise<KeyUsage> {
  const now = deps.clock();
  const { from, to } = usageSpan(query, now);
  await loadManagedKey(deps, principal, id);
  const buckets = await queryUsage(deps, id, query.granularity, from, to, now);
  return { keyId: id, granularity: query.granularity, from: from.toISOString(), to: to.toISOString(), buckets, total: sumUsage(buckets) };
}

/** The key details' `usage24h`: the current hour and the 23 before it, one Query on the hour items. */
export async function usageLast24h(deps: Deps, keyId: string, now: Date): Promise<UsageCounts & { since: string }> {
  const since = new Date(bucketStart(now, 'hour') - 23 * HOUR_MS);
  const buckets = await queryUsage(deps, keyId, 'hour', since, new Date(bucketStart(now, 'hour') + HOUR_MS), now);
  return { since: since.toISOString(), ...sumUsage(buckets) };
}

/**
 * GET /v1/keys/{id}: the details with the last 24 hours' usage. The usage Query runs beside the
 * key's read; its answer is dropped (never shown) when the principal may not see the key.
 */
export async function getKeyWithUsage(deps: Deps, principal: Principal, id: string) {
  const [details, usage24h] = await settleAll([getKey(deps, principal, id), usageLast24h(deps, id, deps.clock())]);
  return { ...details, usage24h };
}
