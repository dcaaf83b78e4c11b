import type { Deps } from '../runtime/deps.js';
import type { Quota, RateLimit } from './limit-model.js';
import { takeQuota } from './quotas.js';
import { countRateLimits } from './rate-limits.js';

export interface KeyLimits {
  rateLimits?: readonly RateLimit[] | undefined;
  quota?: Quota | undefined;
  /** The key whose counters are moved (a rotation's predecessor: KeyRecord.limitsCountedOn); absent: the key's own. */
  limitsCountedOn?: string | undefined;
}

/**
 * Counts one use of a key (or of one of its access tokens) against its limits: the rate limits
 * first, then the quota, so a use refused by a rate limit takes nothing from the quota. Throws
 * LimitRefusalError (rate_limited, quota_exhausted) or UnavailableError (a counter failed:
 * refused, never let through). A key without limits is never passed here: it costs nothing.
 * `keyEnd`: when the key's item expires (epoch seconds), for a quota without a refill.
 */
export async function countAgainstLimits(deps: Deps, keyId: string, limits: KeyLimits, keyEnd: number | undefined): Promise<void> {
  const counters = limits.limitsCountedOn ?? keyId;
  if (limits.rateLimits !== undefined && limits.rateLimits.length > 0) await countRateLimits(deps, keyId, limits.rateLimits, counters);
  if (limits.quota !== undefined) await takeQuota(deps, keyId, limits.quota, keyEnd, counters);
}
