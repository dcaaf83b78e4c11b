import { describe, expect, it } from 'vitest';
import {
  fastBatch,
  normalizeQuota,
  normalizeRateLimits,
  quotaPeriod,
  rateLimitsInputSchema,
  strictShardCount,
  strictShares,
  windowSeconds,
} from '../../../functions/usage/limit-model.js';

/** The arithmetic of rate-limit windows, strict shards, fast batches and quota periods (no I/O). */
describe('rate limits', () => {
  it('reads windows of whole seconds, days at most 31', () => {
    expect(windowSeconds('PT1S')).toBe(1);
    expect(windowSeconds('PT1M30S')).toBe(90);
    expect(windowSeconds('P1D')).toBe(86_400);
    expect(() => windowSeconds('P1M')).toThrow(/no years, months or weeks/);
  });

  it('makes the mode explicit, and stores no limits for [] or null', () => {
    expect(normalizeRateLimits([{ limit: 5, window: 'PT1S' }])).toEqual([{ limit: 5, window: 'PT1S', mode: 'fast' }]);
    expect(normalizeRateLimits([])).toBeUndefined();
    expect(normalizeRateLimits(null)).toBeUndefined();
  });

  it('shards a strict limit per 500 uses a second, shares adding up to the limit', () => {
    expect(strictShardCount({ limit: 500, window: 'PT1S', mode: 'strict' })).toBe(1);
    expect(strictShardCount({ limit: 501, window: 'PT1S', mode: 'strict' })).toBe(2);
    expect(strictShardCount({ limit: 8_000, window: 'PT1S', mode: 'strict' })).toBe(16);
    expect(strictShardCount({ limit: 1_000_000, window: 'P1D', mode: 'strict' })).toBe(1);
    const shares = strictShares(1_001, 3);
    expect(shares).toEqual([334, 334, 333]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(1_001);
  });

  it('reconciles fast counts every K uses: 1 under 100, a fiftieth of the limit, at most 100', () => {
    expect([fastBatch(5), fastBatch(99), fastBatch(100), fastBatch(2_000), fastBatch(1_000_000)]).toEqual([1, 1, 2, 40, 100]);
  });

  it('refuses limits above the mode\'s ceiling and duplicate windows', () => {
    expect(rateLimitsInputSchema.safeParse([{ limit: 8_000, window: 'PT1S', mode: 'strict' }]).success).toBe(true);
    expect(rateLimitsInputSchema.safeParse([{ limit: 8_001, window: 'PT1S', mode: 'strict' }]).success).toBe(false);
    expect(rateLimitsInputSchema.safeParse([{ limit: 50_000, window: 'PT1S', mode: 'fast' }]).success).toBe(true);
    expect(rateLimitsInputSchema.safeParse([{ limit: 1, window: 'PT1H' }, { limit: 2, window: 'PT60M' }]).success).toBe(false);
  });
});

describe('quota periods', () => {
  const at = (iso: string) => new Date(iso);

  it('has one period forever without a refill', () => {
    const quota = normalizeQuota({ remaining: 3 }, at('2026-01-31T10:00:00Z'));
    expect(quotaPeriod(quota!, at('2030-01-01T00:00:00Z'))).toEqual({ index: 0, end: undefined, allowance: 3 });
  });

  it('counts calendar periods from when the quota was set: P1M from 31 January ends on 28 February, then 31 March', () => {
    const quota = normalizeQuota({ remaining: 10, refill: { amount: 7, interval: 'P1M' } }, at('2026-01-31T10:00:00Z'))!;
    expect(quotaPeriod(quota, at('2026-02-15T00:00:00Z'))).toEqual({ index: 0, end: at('2026-02-28T10:00:00Z'), allowance: 10 });
    expect(quotaPeriod(quota, at('2026-02-28T10:00:00Z'))).toEqual({ index: 1, end: at('2026-03-31T10:00:00Z'), allowance: 7 });
    expect(quotaPeriod(quota, at('2026-03-31T09:59:59Z')).index).toBe(1);
    expect(quotaPeriod(quota, at('2027-01-31T10:00:00Z')).index).toBe(12);
  });

  it('counts fixed periods exactly at their boundaries', () => {
    const quota = normalizeQuota({ remaining: 1, refill: { amount: 1, interval: 'PT1H' } }, at('2026-01-01T00:00:00Z'))!;
    expect(quotaPeriod(quota, at('2026-01-01T00:59:59.999Z')).index).toBe(0);
    expect(quotaPeriod(quota, at('2026-01-01T01:00:00Z')).index).toBe(1);
    expect(quotaPeriod(quota, at('2026-01-02T00:00:00Z')).index).toBe(24);
  });
});
