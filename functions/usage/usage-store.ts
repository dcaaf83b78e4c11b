import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deps } from '../runtime/deps.js';

/**
 * A key's usage counts in the table, per minute and per hour, by outcome:
 *
 *   pk `USAGE#<keyId>`  sk `M#<minute start ISO>`  ttl: a day after the minute ends
 *                       sk `H#<hour start ISO>`    ttl: 90 days after the hour ends
 *   allowed, rateLimited, refused: numbers, only ever moved by ADD (an item is created by its first ADD)
 *
 * ISO instants of one length sort as they order in time, so a span is one Query on the sort key.
 * Expired items may outlive their ttl (TTL deletes late): every read drops them itself.
 */
export type UsageOutcome = 'allowed' | 'rateLimited' | 'refused';
export const usageOutcomes: readonly UsageOutcome[] = ['allowed', 'rateLimited', 'refused'];

export type UsageCounts = Record<UsageOutcome, number>;
export type UsageGranularity = 'minute' | 'hour';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_S = 86_400;

export const usageRetention = { minute: DAY_S, hour: 90 * DAY_S } as const;
const BUCKET_MS: Record<UsageGranularity, number> = { minute: MINUTE_MS, hour: HOUR_MS };
const PREFIX: Record<UsageGranularity, string> = { minute: 'M#', hour: 'H#' };

export const usagePartition = (keyId: string) => `USAGE#${keyId}`;

/** The start of the bucket `at` falls in. */
export function bucketStart(at: Date | number, granularity: UsageGranularity): number {
  const ms = typeof at === 'number' ? at : at.getTime();
  return ms - (((ms % BUCKET_MS[granularity]) + BUCKET_MS[granularity]) % BUCKET_MS[granularity]);
}

export function usageSortKey(granularity: UsageGranularity, start: number): string {
  return `${PREFIX[granularity]}${new Date(start).toISOString()}`;
}

/** The item's expiry (epoch seconds): its retention after its bucket ends. */
export function usageExpiry(granularity: UsageGranularity, start: number): number {
  return Math.floor((start + BUCKET_MS[granularity]) / 1000) + usageRetention[granularity];
}

export const zeroCounts = (): UsageCounts => ({ allowed: 0, rateLimited: 0, refused: 0 });

/**
 * Adds `counts` to one bucket's item (creating it): one UpdateItem, naming only the counters and
 * the expiry (the flush's grant, functions/contract/table-access.ts usageFlush). Zero counts are
 * left out; negative ones are allowed (a use counted allowed and then refused for its permission
 * in another flush: functions/usage/usage-counts.ts).
 */
export async function addUsage(
  deps: Pick<Deps, 'ddb' | 'tableName'>,
  keyId: string,
  granularity: UsageGranularity,
  start: number,
  counts: UsageCounts,
): Promise<void> {
  const names: Record<string, string> = { '#ttl': 'ttl' };
  const values: Record<string, number> = { ':ttl': usageExpiry(granularity, start) };
  const adds: string[] = [];
  for (const outcome of usageOutcomes) {
    if (counts[outcome] === 0) continue;
    names[`#${outcome}`] = outcome;
    values[`:${outcome}`] = counts[outcome];
    adds.push(`#${outcome} :${outcome}`);
  }
  if (adds.length === 0) return;
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.tableName,
      Key: { pk: usagePartition(keyId), sk: usageSortKey(granularity, start) },
      UpdateExpression: `ADD ${adds.join(', ')} SET #ttl = :ttl`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

export interface UsageBucket extends UsageCounts {
  /** The bucket's start (ISO). */
  start: string;
}

/**
 * The buckets of one granularity whose start lies in [from, to), oldest first, only those with
 * counts (sparse). The span is bounded by the caller (at most 2,160 items of ~80 bytes: a few
 * Query pages at most, each followed here). Items past their expiry at `now` are dropped.
 */
export async function queryUsage(
  deps: Pick<Deps, 'ddb' | 'tableName'>,
  keyId: string,
  granularity: UsageGranularity,
  from: Date,
  to: Date,
  now: Date,
): Promise<UsageBucket[]> {
  const first = bucketStart(from, granularity) < from.getTime() ? bucketStart(from, granularity) + BUCKET_MS[granularity] : from.getTime();
  const buckets: UsageBucket[] = [];
  if (first >= to.getTime()) return buckets;
  const nowSeconds = Math.floor(now.getTime() / 1000);
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': usagePartition(keyId),
          ':from': usageSortKey(granularity, first),
          // BETWEEN is inclusive: the last bucket that starts before `to`.
          ':to': usageSortKey(granularity, bucketStart(to.getTime() - 1, granularity)),
        },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.ttl === 'number' && item.ttl <= nowSeconds) continue;
      const counts = { allowed: Number(item.allowed ?? 0), rateLimited: Number(item.rateLimited ?? 0), refused: Number(item.refused ?? 0) };
      if (counts.allowed === 0 && counts.rateLimited === 0 && counts.refused === 0) continue;
      buckets.push({ start: String(item.sk).slice(PREFIX[granularity].length), ...counts });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return buckets;
}

export function sumUsage(buckets: readonly UsageCounts[]): UsageCounts {
  const total = zeroCounts();
  for (const bucket of buckets) for (const outcome of usageOutcomes) total[outcome] += bucket[outcome];
  return total;
}
