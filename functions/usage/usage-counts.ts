import type { Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError } from '../shared/errors.js';
import { countUsageDropped, countUsageFlushFailed } from '../observability/metrics.js';
import { addUsage, bucketStart, type UsageCounts, type UsageGranularity, type UsageOutcome, usageOutcomes, zeroCounts } from './usage-store.js';
import { settleAll } from '../shared/settled.js';

/**
 * Usage counts per key, per minute and per hour, by outcome, at no cost on the request path: each
 * process adds a use to its own in-memory counts (one per key, bucket and granularity: a pending
 * write), and writes them to the table (usage-store.ts addUsage: one UpdateItem ADD per pending
 * write) when a flush is due: `usage.flushIntervalSeconds` after the last one, or once
 * `usage.flushAtEntries` writes are pending. A due flush starts on the path of the request that
 * found it due, beside that request's own work (not awaited there); Lambda entries wait for it
 * before they return (settleUsageFlushes), so a frozen instance never holds one half sent.
 *
 * A write that fails keeps its counts for the next flush (logged and counted: UsageFlushesFailed);
 * at most `usage.maxBufferedEntries` writes are held, counts beyond that are dropped (and counted:
 * UsageCountsDropped). Only keys the table holds are counted (authentication knows), so a guesser
 * sending random key ids adds nothing here. A stop without a flush loses at most the counts since
 * the last flush: `flushIntervalSeconds` of one process's uses (README, "Usage counts").
 */

interface PendingWrite {
  keyId: string;
  granularity: UsageGranularity;
  start: number;
  counts: UsageCounts;
}

/** One table's counts in this process (tests run many tables in one process). */
interface TableUsage {
  deps: Pick<Deps, 'ddb' | 'tableName' | 'config'>;
  pending: Map<string, PendingWrite>;
  /** performance.now() of the last flush (or of the first count). */
  lastFlushAt: number;
  flushing?: Promise<void> | undefined;
}

const tables = new Map<string, TableUsage>();
/** Parallel UpdateItems of one flush: enough for a few hundred keys in one round trip or two. */
const FLUSH_CONCURRENCY = 16;

const pendingId = (keyId: string, granularity: UsageGranularity, start: number) => `${keyId}\0${granularity}\0${start}`;

function tableUsage(deps: Pick<Deps, 'ddb' | 'tableName' | 'config'>): TableUsage {
  let usage = tables.get(deps.tableName);
  if (!usage) {
    usage = { deps, pending: new Map(), lastFlushAt: performance.now() };
    tables.set(deps.tableName, usage);
  }
  return usage;
}

/**
 * Adds `counts` to one pending write; false when the buffer is full and this write is new
 * (dropped). Allocates only for a new write: a hot key's uses land in one that exists.
 */
function addPending(usage: TableUsage, keyId: string, granularity: UsageGranularity, start: number, counts: Readonly<UsageCounts>): boolean {
  const id = pendingId(keyId, granularity, start);
  const existing = usage.pending.get(id);
  if (existing) {
    for (const outcome of usageOutcomes) existing.counts[outcome] += counts[outcome];
    return true;
  }
  if (usage.pending.size >= usage.deps.config.usage.maxBufferedEntries) return false;
  usage.pending.set(id, { keyId, granularity, start, counts: { ...counts } });
  return true;
}

function add(deps: Deps, keyId: string, at: Date, counts: Readonly<UsageCounts>): void {
  const usage = tableUsage(deps);
  usage.deps = deps;
  const ms = at.getTime();
  const minute = addPending(usage, keyId, 'minute', bucketStart(ms, 'minute'), counts);
  const hour = addPending(usage, keyId, 'hour', bucketStart(ms, 'hour'), counts);
  if (!minute || !hour) countUsageDropped(keyId);
  startFlushIfDue(usage);
}

/** One use of each outcome, built once (addPending copies what it keeps). */
const ONE_USE = Object.fromEntries(
  usageOutcomes.map((outcome) => [outcome, Object.freeze({ ...zeroCounts(), [outcome]: 1 })]),
) as Record<UsageOutcome, Readonly<UsageCounts>>;

/** One use of a key (a token's use counts against its key): `at` decides its buckets. */
export function countUse(deps: Deps, keyId: string, outcome: UsageOutcome, at: Date): void {
  add(deps, keyId, at, ONE_USE[outcome]);
}

/**
 * The outcome an authentication error stands for, or undefined when it is not to be counted: only
 * refusals about a key the table holds (`subject.known`), so unknown ids never reach the buffer.
 * A limit's refusal (`rate_limited`) is `rateLimited`, every other reason `refused`. The reason is
 * compared as a string: limit reasons are added by functions/usage/rate-limits.ts.
 */
export function useOutcomeOf(error: unknown): UsageOutcome | undefined {
  if (!(error instanceof AuthenticationError) || error.subject?.known !== true) return undefined;
  return (error.reason as string) === 'rate_limited' ? 'rateLimited' : 'refused';
}

/** Counts a refused authentication about a known key (useOutcomeOf); anything else is not counted. */
export function countRefusedUse(deps: Deps, error: unknown, at: Date): void {
  const outcome = useOutcomeOf(error);
  if (outcome !== undefined && error instanceof AuthenticationError && error.subject) countUse(deps, error.subject.keyId, outcome, at);
}

/**
 * Runs the check of one credential (a key's, or an access token's) and counts its use against
 * the key it names: the principal returned `allowed`, a refusal by countRefusedUse. `at` (taken
 * before the check) decides the buckets and is returned as `usageCountedAt` (recountAsRefused).
 */
export async function countedUse<T extends { keyId?: string | undefined }>(
  deps: Deps,
  check: () => Promise<T>,
): Promise<T & { usageCountedAt: Date }> {
  const at = deps.clock();
  let checked: T;
  try {
    checked = await check();
  } catch (error) {
    countRefusedUse(deps, error, at);
    throw error;
  }
  if (checked.keyId !== undefined) countUse(deps, checked.keyId, 'allowed', at);
  // `check` returns an object of its own, made for this call: marked, not copied.
  const counted = checked as T & { usageCountedAt: Date };
  counted.usageCountedAt = at;
  return counted;
}

/**
 * A use counted `allowed` when its credential was authenticated, then refused because the
 * credential lacks the permission asked for (the authorizer, keygate's routes, verify's
 * `insufficient_permissions`): moved to `refused`, in the buckets it was counted in.
 */
export function recountAsRefused(deps: Deps, principal: Pick<Principal, 'keyId' | 'usageCountedAt'>): void {
  if (principal.keyId === undefined || principal.usageCountedAt === undefined) return;
  add(deps, principal.keyId, principal.usageCountedAt, { allowed: -1, rateLimited: 0, refused: 1 });
}

function startFlushIfDue(usage: TableUsage): void {
  if (usage.flushing || usage.pending.size === 0) return;
  const { flushIntervalSeconds, flushAtEntries } = usage.deps.config.usage;
  if (usage.pending.size < flushAtEntries && performance.now() - usage.lastFlushAt < flushIntervalSeconds * 1000) return;
  void startFlush(usage);
}

function startFlush(usage: TableUsage): Promise<void> {
  if (usage.flushing) return usage.flushing;
  usage.flushing = flush(usage).finally(() => {
    usage.flushing = undefined;
  });
  return usage.flushing;
}

/** Sends every pending write; a failed one goes back to the buffer (merged with counts made meanwhile). Never throws. */
async function flush(usage: TableUsage): Promise<void> {
  const writes = [...usage.pending.values()];
  usage.pending = new Map();
  usage.lastFlushAt = performance.now();
  let next = 0;
  let failures = 0;
  let firstError: unknown;
  const worker = async () => {
    while (next < writes.length) {
      const write = writes[next++] as PendingWrite;
      try {
        await addUsage(usage.deps, write.keyId, write.granularity, write.start, write.counts);
      } catch (error) {
        failures += 1;
        firstError ??= error;
        if (!addPending(usage, write.keyId, write.granularity, write.start, write.counts)) countUsageDropped(write.keyId);
      }
    }
  };
  await settleAll(Array.from({ length: Math.min(FLUSH_CONCURRENCY, writes.length) }, worker));
  if (failures > 0) countUsageFlushFailed(failures, writes.length, firstError);
}

/**
 * Writes this process's pending counts now (all tables, or the one `deps` names) and waits for it:
 * shutdown (a signal, the Lambda runtime's SIGTERM) and tests. A flush already under way is
 * waited for first, then what came in meanwhile is written.
 */
export async function flushUsage(deps?: Pick<Deps, 'tableName'>): Promise<void> {
  const chosen = deps === undefined ? [...tables.values()] : [tables.get(deps.tableName)].filter((u) => u !== undefined);
  await settleAll(
    chosen.map(async (usage) => {
      await usage.flushing;
      if (usage.pending.size > 0) await startFlush(usage);
    }),
  );
}

/** Waits for the flushes under way (none is started): a Lambda entry, before it returns. */
export async function settleUsageFlushes(): Promise<void> {
  const running = [...tables.values()].map((usage) => usage.flushing).filter((p) => p !== undefined);
  if (running.length > 0) await settleAll(running);
}

/** How many writes this process holds for the table `deps` names (tests). */
export function pendingUsageWrites(deps: Pick<Deps, 'tableName'>): number {
  return tables.get(deps.tableName)?.pending.size ?? 0;
}
