import { Temporal } from 'temporal-polyfill';
import * as z from 'zod';
import { addDuration, durationOrUndefined } from '../shared/durations.js';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * What a key's rate limits and quota are, as input, as stored and as an access token carries them:
 * types, schemas and the arithmetic of windows and periods, with no I/O (the key model, the
 * schemas and the tokens import it). Counting is rate-limits.ts and quotas.ts.
 */

export const rateLimitModes = ['strict', 'fast'] as const;
export type RateLimitMode = (typeof rateLimitModes)[number];

/**
 * What the bench favours (README, Performance, "Rate limits"): fast mode's added CPU was within
 * the noise and it wrote 11 times per 1,000 verifications; strict mode took 1.9–2.0× the CPU per
 * request and wrote 1,000 times; fast overshot a limit of 2,000 by 29 and 58 across 4 processes
 * (bound 120). Keys whose limits must never be exceeded (billing, abuse) say `mode: "strict"`.
 */
export const DEFAULT_RATE_LIMIT_MODE: RateLimitMode = 'fast';

export const MAX_RATE_LIMITS = 4;
export const MAX_LIMIT = 1_000_000_000;
export const MIN_WINDOW_SECONDS = 1;
/** 31 days: longer budgets are quotas (which refill on calendar intervals). */
export const MAX_WINDOW_SECONDS = 31 * 86_400;
/** One DynamoDB item takes about 1,000 writes a second; a shard is given at most half of that. */
export const SHARD_RATE = 500;
export const MAX_SHARDS = 16;
/** Strict mode's ceiling: MAX_SHARDS × SHARD_RATE uses a second per key (limit / window). */
export const MAX_STRICT_RATE = MAX_SHARDS * SHARD_RATE;
/** Fast mode's: at fastBatch's 100 uses per write, ~500 writes a second on the item. */
export const MAX_FAST_RATE = 50_000;
export const FAST_SYNC_MS = 250;

/** As stored on the key and carried by its access tokens. */
export interface RateLimit {
  limit: number;
  /** ISO 8601 duration of whole seconds, days at most (`PT1S` … `P31D`), as given. */
  window: string;
  mode: RateLimitMode;
}

export const rateLimitInputSchema = lazySchema(() =>
  z
    .strictObject({
      limit: z
        .number({ error: 'rateLimits[].limit must be a whole number of uses' })
        .int('rateLimits[].limit must be a whole number of uses')
        .min(1, 'rateLimits[].limit must be at least 1')
        .max(MAX_LIMIT, `rateLimits[].limit must be at most ${MAX_LIMIT}`),
      window: z
        .string({ error: 'rateLimits[].window must be an ISO 8601 duration such as PT1S, PT1M or P1D' })
        .min(2)
        .max(40)
        .meta({ description: 'ISO 8601 duration of whole seconds, PT1S to P31D (no months or years)' }),
      mode: z
        .enum(rateLimitModes, { error: 'rateLimits[].mode must be "strict" (exact) or "fast" (counted in memory, bounded overshoot)' })
        .optional()
        .meta({
          description: `"strict": one conditional write per use, exact; "fast": counted per process, reconciled; default ${DEFAULT_RATE_LIMIT_MODE}`,
        }),
    })
    .superRefine((input, context) => {
      const seconds = windowSecondsOrError(input.window);
      if (typeof seconds === 'string') {
        context.addIssue({ code: 'custom', path: ['window'], message: seconds });
        return;
      }
      const mode = input.mode ?? DEFAULT_RATE_LIMIT_MODE;
      const rate = input.limit / seconds;
      const ceiling = mode === 'strict' ? MAX_STRICT_RATE : MAX_FAST_RATE;
      if (rate > ceiling) {
        context.addIssue({
          code: 'custom',
          path: ['limit'],
          message:
            `a ${mode} rate limit may allow at most ${ceiling} uses per second (limit / window); ` +
            `${input.limit} per ${input.window} is ${Math.round(rate)}`,
        });
      }
    }),
);

export const rateLimitsInputSchema = lazySchema(() =>
  z
    .array(rateLimitInputSchema.unwrap(), { error: 'rateLimits must be a list of { limit, window, mode? }' })
    .max(MAX_RATE_LIMITS, `rateLimits: at most ${MAX_RATE_LIMITS} limits`)
    .superRefine((limits, context) => {
      const seen = new Set<number>();
      for (const [index, limit] of limits.entries()) {
        const seconds = windowSecondsOrError(limit.window);
        if (typeof seconds === 'string') continue;
        if (seen.has(seconds)) {
          context.addIssue({ code: 'custom', path: [index, 'window'], message: `rateLimits: two limits with the window ${limit.window}` });
        }
        seen.add(seconds);
      }
    })
    .nullable()
    .meta({ description: 'Rate limits: at most 4, each { limit, window, mode }; [] or null (on PATCH) removes them' }),
);
export type RateLimitsInput = z.infer<typeof rateLimitsInputSchema>;

function windowSecondsOrError(window: string): number | string {
  const duration = durationOrUndefined(window);
  if (duration === undefined) return `rateLimits[].window must be an ISO 8601 duration such as PT1S, PT1M or P1D; got "${window}"`;
  if (duration.years !== 0 || duration.months !== 0 || duration.weeks !== 0) {
    return `rateLimits[].window must be days, hours, minutes and seconds (no years, months or weeks: use a quota); got "${window}"`;
  }
  const seconds = duration.total({ unit: 'seconds' });
  if (duration.sign <= 0 || !Number.isInteger(seconds)) return `rateLimits[].window must be a positive whole number of seconds; got "${window}"`;
  if (seconds < MIN_WINDOW_SECONDS || seconds > MAX_WINDOW_SECONDS) return `rateLimits[].window must lie between PT1S and P31D; got "${window}"`;
  return seconds;
}

const windowCache = new Map<string, number>();

/** A window the schema accepted, in seconds (parsed once per process: Temporal's parse is ~35 µs). */
export function windowSeconds(window: string): number {
  const cached = windowCache.get(window);
  if (cached !== undefined) return cached;
  const seconds = windowSecondsOrError(window);
  if (typeof seconds === 'string') throw new Error(seconds);
  if (windowCache.size < 1_000) windowCache.set(window, seconds);
  return seconds;
}

/** The input as stored: the mode made explicit; [] or null: none (undefined). */
export function normalizeRateLimits(input: RateLimitsInput | undefined): RateLimit[] | undefined {
  if (input === undefined || input === null || input.length === 0) return undefined;
  return input.map((l) => ({ limit: l.limit, window: l.window, mode: l.mode ?? DEFAULT_RATE_LIMIT_MODE }));
}

/** How many shards a strict limit's window counter takes: one per SHARD_RATE uses a second. */
export function strictShardCount(limit: RateLimit): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(limit.limit / windowSeconds(limit.window) / SHARD_RATE)));
}

/** Each shard's share of the limit; they add up to the limit exactly. */
export function strictShares(limit: number, shards: number): number[] {
  return Array.from({ length: shards }, (_, i) => Math.floor(limit / shards) + (i < limit % shards ? 1 : 0));
}

/** Fast mode's K: uses a process counts before it must reconcile; 1 (a write per use) for limits under 100. */
export function fastBatch(limit: number): number {
  return Math.min(100, Math.max(1, Math.floor(limit / 50)));
}


export const MAX_QUOTA = 1_000_000_000;

export interface Quota {
  /** The uses of the first period (and of the whole quota without a refill). */
  remaining: number;
  refill?: { amount: number; interval: string };
  /** When the quota was set (ISO 8601 UTC): periods count from here. */
  setAt: string;
}

const countSchema = (field: string) =>
  z
    .number({ error: `${field} must be a whole number` })
    .int(`${field} must be a whole number`)
    .min(0, `${field} must be at least 0`)
    .max(MAX_QUOTA, `${field} must be at most ${MAX_QUOTA}`);

export const quotaInputSchema = lazySchema(() =>
  z
    .strictObject({
      remaining: countSchema('quota.remaining'),
      refill: z
        .strictObject({
          amount: countSchema('quota.refill.amount').min(1, 'quota.refill.amount must be at least 1'),
          interval: z
            .string()
            .min(2)
            .max(40)
            .meta({ description: 'ISO 8601 duration, PT1M to P1Y: each period the remaining count is set back to amount' }),
        })
        .optional(),
    })
    .superRefine((input, context) => {
      if (input.refill === undefined) return;
      const error = intervalError(input.refill.interval);
      if (error !== undefined) context.addIssue({ code: 'custom', path: ['refill', 'interval'], message: error });
    })
    .nullable()
    .meta({ description: 'Remaining uses, optionally refilled each interval; null (on PATCH) removes it' }),
);
export type QuotaInput = z.infer<typeof quotaInputSchema>;

function intervalError(interval: string): string | undefined {
  const duration = durationOrUndefined(interval);
  if (duration === undefined) return `quota.refill.interval must be an ISO 8601 duration such as PT1H, P1D or P1M; got "${interval}"`;
  if (duration.sign <= 0) return `quota.refill.interval must be positive; got "${interval}"`;
  const start = Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO('UTC');
  const seconds = start.add(duration).epochMilliseconds / 1000;
  if (seconds < 60 || seconds > 366 * 86_400) return `quota.refill.interval must lie between PT1M and P1Y; got "${interval}"`;
  return undefined;
}

/** The input as stored, set at `now`; null: none (undefined). */
export function normalizeQuota(input: QuotaInput | undefined, now: Date): Quota | undefined {
  if (input === undefined || input === null) return undefined;
  return { remaining: input.remaining, ...(input.refill === undefined ? {} : { refill: { ...input.refill } }), setAt: now.toISOString() };
}

export interface QuotaPeriod {
  index: number;
  /** undefined: the quota has no refill, its one period never ends. */
  end: Date | undefined;
  allowance: number;
}

/** The period `now` falls in: the n with setAt + n × interval ≤ now < setAt + (n + 1) × interval. */
export function quotaPeriod(quota: Quota, now: Date): QuotaPeriod {
  const setAt = new Date(quota.setAt);
  if (quota.refill === undefined) return { index: 0, end: undefined, allowance: quota.remaining };
  const interval = Temporal.Duration.from(quota.refill.interval);
  const boundary = (n: number) => (n === 0 ? setAt : addDuration(setAt, scaled(interval, n)));
  const approx = addDuration(setAt, interval).getTime() - setAt.getTime();
  let n = Math.max(0, Math.floor((now.getTime() - setAt.getTime()) / approx));
  while (n > 0 && boundary(n) > now) n--;
  while (boundary(n + 1) <= now) n++;
  return { index: n, end: boundary(n + 1), allowance: n === 0 ? quota.remaining : quota.refill.amount };
}

function scaled(duration: Temporal.Duration, n: number): Temporal.Duration {
  return Temporal.Duration.from({
    years: duration.years * n,
    months: duration.months * n,
    weeks: duration.weeks * n,
    days: duration.days * n,
    hours: duration.hours * n,
    minutes: duration.minutes * n,
    seconds: duration.seconds * n,
  });
}


/** What an access token of a key with limits carries (claim `kg_lim`), so verifying it reads nothing. */
export const limitsClaimSchema = lazySchema(() =>
  z.strictObject({
    rl: z.array(z.strictObject({ limit: z.number().int(), window: z.string(), mode: z.enum(rateLimitModes) })).optional(),
    q: z
      .strictObject({
        remaining: z.number().int(),
        refill: z.strictObject({ amount: z.number().int(), interval: z.string() }).optional(),
        setAt: z.string(),
      })
      .optional(),
    /** The key whose counters the uses move, when not the token's own (KeyRecord.limitsCountedOn). */
    on: z.string().optional(),
  }),
);
export type LimitsClaim = z.infer<typeof limitsClaimSchema>;

/** The claim of a key's limits; undefined when it has none (its tokens carry nothing new). */
export function limitsClaim(key: {
  rateLimits?: RateLimit[] | undefined;
  quota?: Quota | undefined;
  limitsCountedOn?: string | undefined;
}): LimitsClaim | undefined {
  if (key.rateLimits === undefined && key.quota === undefined) return undefined;
  return {
    ...(key.rateLimits === undefined ? {} : { rl: key.rateLimits }),
    ...(key.quota === undefined ? {} : { q: key.quota }),
    ...(key.limitsCountedOn === undefined ? {} : { on: key.limitsCountedOn }),
  };
}
