import { logger } from '../observability/logger.js';
import { countLimitCounterFailed } from '../observability/metrics.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailed } from '../shared/dynamodb.js';
import { type Item, leanReaderOf } from '../shared/dynamodb-lean.js';
import { UnavailableError } from '../shared/errors.js';

/*
 * The counter items of rate limits and quotas (see functions/contract/table-schema.ts):
 *   rate window  pk LIMIT#<keyId>  sk <limitIndex>#<windowStartEpochSeconds>[#<shard>]  { hits, ttl }
 *   quota period pk QUOTA#<keyId>  sk <quotaSetAtEpochMs>#<periodIndex>                  { used, ttl }
 * Both are moved by one UpdateItem ADD per request (strict) or per reconciliation (fast), through
 * the lean client (functions/shared/dynamodb-lean.ts): the SDK's per-call CPU would double a
 * verification's. A counter only ever grows within its window or period, so "full" seen once
 * stays true until the window ends: the callers remember it and refuse without a write.
 */
export const limitPk = (keyId: string) => `LIMIT#${keyId}`;
export const quotaPk = (keyId: string) => `QUOTA#${keyId}`;

/** Counter items outlive their window by this much (TTL deletes late; nothing reads an ended window). */
export const COUNTER_TTL_MARGIN_SECONDS = 3600;

export type CounterOutcome = { ok: true; count: number } | { ok: false };

/**
 * ADD `by` to `attribute` of one counter item, refusing (no change) when `below` is given and the
 * count is already at it. Returns the count after the ADD, or `{ ok: false }` on the refusal.
 * Any other failure (throttle, timeout, an error) is logged without the key's secret, counted
 * (LimitCounterFailures) and thrown as UnavailableError: the request is refused, never let through.
 */
export async function addToCounter(
  deps: Deps,
  key: { pk: string; sk: string },
  attribute: 'hits' | 'used',
  by: number,
  ttl: number | undefined,
  below: number | undefined,
  what: 'rate_limit' | 'quota',
): Promise<CounterOutcome> {
  const values: Item = { ':by': by };
  let update = 'ADD #c :by';
  const names: Record<string, string> = { '#c': attribute };
  if (ttl !== undefined) {
    update += ' SET #t = :ttl';
    names['#t'] = 'ttl';
    values[':ttl'] = ttl;
  }
  let condition: string | undefined;
  if (below !== undefined) {
    condition = 'attribute_not_exists(#c) OR #c < :below';
    values[':below'] = below;
  }
  try {
    const attributes = await leanReaderOf(deps.ddb).updateItem({
      TableName: deps.tableName,
      Key: key,
      UpdateExpression: update,
      ...(condition === undefined ? {} : { ConditionExpression: condition }),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValues: 'UPDATED_NEW',
    });
    return { ok: true, count: Number(attributes?.[attribute] ?? by) };
  } catch (error) {
    if (isConditionFailed(error)) return { ok: false };
    const name = (error as { name?: string }).name ?? 'Error';
    countLimitCounterFailed(what, error);
    logger.warn('a rate-limit or quota counter could not be moved: refusing the request', { counter: what, partition: key.pk, error: name });
    if (error instanceof UnavailableError) throw error;
    throw new UnavailableError('keygate could not count this use against the key\'s limits; retry shortly', 1);
  }
}
