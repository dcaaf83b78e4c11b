import type { Deps } from '../runtime/deps.js';
import { leanReaderOf } from '../shared/dynamodb-lean.js';
import { LimitRefusalError } from '../shared/errors.js';
import { BoundedMap } from '../shared/bounded-map.js';
import { addToCounter, COUNTER_TTL_MARGIN_SECONDS, quotaPk } from './limit-counters.js';
import { type Quota, quotaPeriod, type QuotaPeriod } from './limit-model.js';

/**
 * A key's quota: a number of uses, optionally refilled. Semantics:
 * - the quota is set at `setAt` (create, or the PATCH that gives it) with `remaining` uses;
 * - with `refill: { amount, interval }`, periods of `interval` follow one another from `setAt`
 *   (calendar arithmetic in UTC: P1M from 31 January ends on 28 February); at the start of each
 *   period after the first, the remaining count is set back to `amount` (unused uses are not
 *   carried over);
 * - without a refill there is one period, forever: `remaining` uses in all;
 * - every use of the key takes one (key uses and access-token uses alike); an exhausted quota
 *   refuses with `quota_exhausted` until the next period, or for good without a refill;
 * - a PATCH that gives `quota` starts it afresh (new `setAt`, full `remaining`); `null` removes it.
 *
 * Counting: one item per period, pk QUOTA#<keyId>, sk <setAt epoch ms>#<period index>, `used`
 * moved by one conditional ADD per use (refused by DynamoDB at the period's allowance). One item
 * takes about 1,000 writes a second: that is the ceiling of uses per second of a key with a quota.
 */

function periodSk(quota: Quota, index: number): string {
  return `${new Date(quota.setAt).getTime()}#${index}`;
}

/** Without a refill the item must outlive the key: kept until `keyEnd` (epoch seconds) plus a margin, or forever. */
function periodTtl(period: QuotaPeriod, keyEnd: number | undefined): number | undefined {
  if (period.end !== undefined) return Math.ceil(period.end.getTime() / 1000) + COUNTER_TTL_MARGIN_SECONDS;
  return keyEnd === undefined ? undefined : keyEnd + COUNTER_TTL_MARGIN_SECONDS;
}

/** Periods seen exhausted in this process: `used` only grows within a period. */
const exhausted = new BoundedMap<true>(20_000);

/**
 * Takes one use from the key's quota, or throws LimitRefusalError (quota_exhausted, with the
 * seconds until the refill when there is one); a counter that cannot be moved throws
 * UnavailableError (refused). `keyEnd`: when the key's item expires (epoch seconds), for the TTL
 * of a quota without a refill. `counters`: the key whose period items move (a rotation's
 * predecessor: KeyRecord.limitsCountedOn).
 */
export async function takeQuota(deps: Deps, keyId: string, quota: Quota, keyEnd: number | undefined, counters: string = keyId): Promise<void> {
  const now = deps.clock();
  const period = quotaPeriod(quota, now);
  const sk = periodSk(quota, period.index);
  const memo = `${deps.tableName}\0${counters}\0${sk}\0${period.allowance}`;
  if (period.allowance > 0 && !exhausted.has(memo)) {
    const outcome = await addToCounter(deps, { pk: quotaPk(counters), sk }, 'used', 1, periodTtl(period, keyEnd), period.allowance, 'quota');
    if (outcome.ok) return;
    exhausted.set(memo, true);
  }
  const resetSeconds = period.end === undefined ? undefined : Math.max(1, Math.ceil((period.end.getTime() - now.getTime()) / 1000));
  const message =
    resetSeconds === undefined
      ? 'the key has used up its quota, which has no refill'
      : `the key has used up its quota for this period; it is refilled to ${quota.refill?.amount} at ${period.end?.toISOString()}`;
  throw new LimitRefusalError('quota_exhausted', message, { keyId, known: true }, {
    limit: period.allowance,
    remaining: 0,
    resetSeconds,
    policy: `${period.allowance};comment="quota"`,
  });
}

/** What the key details show: the uses left in the current period (one consistent read of `counters`' period item). */
export async function quotaRemaining(deps: Deps, counters: string, quota: Quota): Promise<number> {
  const period = quotaPeriod(quota, deps.clock());
  const item = await leanReaderOf(deps.ddb).getItem(deps.tableName, { pk: quotaPk(counters), sk: periodSk(quota, period.index) }, true);
  return Math.max(0, period.allowance - Number(item?.used ?? 0));
}

/** Forgets this process's memo of exhausted periods (tests). */
export function resetQuotaMemory(): void {
  exhausted.clear();
}
