import { createHash } from 'node:crypto';
import { PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { tableSchema } from '../contract/table-schema.js';
import type { Deps } from '../runtime/deps.js';
import { conditionFailedAt, isConditionFailed } from '../shared/dynamodb.js';
import { addDuration } from '../shared/durations.js';
import { ValidationError } from '../shared/errors.js';
import { ENTRY_ID_LENGTH } from '../shared/ids.js';
import type { AuditAction, AuditEntry } from './audit-model.js';
import { onFirstUse } from '../shared/on-first-use.js';
import { settleAll } from '../shared/settled.js';

/*
 * Audit items (see functions/contract/table-schema.ts). Every entry is one item, sort key `<at>#<id>` in every
 * place it is listed, so every listing is newest first and `from`/`to` are key conditions:
 *
 *   base table     pk AUDIT#<shard>                  all entries
 *   auditByAction  gsi5pk AUDITACTION#<action>#<shard>  one action
 *   auditByKey     gsi3pk AUDITKEY#<keyId>             entries about one key (sparse)
 *   auditByActor   gsi4pk AUDITACTOR#<owner>           entries by one owner's keys (sparse)
 *   ttl            at + the audit retention (deployment-config.ts), so DynamoDB TTL deletes old entries
 *
 * Why it scales. A partition takes about 1,000 writes/s, and a partition key whose sort key only
 * grows (time) cannot be split for heat: all its writes land at its newest end. One partition for
 * "all entries" (or for one busy action, such as auth.failed) would cap the audit log, and with
 * it every change that writes an entry in its transaction. So the all-entries and by-action
 * listings are spread over AUDIT_SHARDS partitions (the shard is a digest of the entry id), good
 * for AUDIT_SHARDS × 1,000 entries/s; a read fans out one query per shard and merges the shards
 * newest first (a k-way merge over sorted streams, each read lazily in small pages).
 *
 * No time bucket in the partition key: time is the sort key, so a page over any range (a day or
 * a year) costs one query per shard, never one per empty bucket. Size is no reason to bucket
 * either: without local secondary indexes a partition key has no size limit, and DynamoDB
 * spreads a large one over storage partitions by sort key.
 *
 * By-key and by-actor listings are one partition each, unsharded: their write rate is the rate of
 * changes to one key or by one owner (lifecycle actions, far below 1,000/s), and failed
 * authentications against one key are folded into one item per source IP and minute
 * (audit-service.ts), so a flood of them grows a counter, not the log.
 *
 * The shard count may be raised (readers then fan out over more, mostly empty partitions), never
 * lowered: entries in the dropped shards would vanish from the listings until TTL removed them.
 */
export const AUDIT_SHARDS = 8;

const BASE_PREFIX = 'AUDIT#';
const byKey = { index: 'auditByKey', attribute: 'gsi3pk', prefix: 'AUDITKEY#' } as const;
const byActor = { index: 'auditByActor', attribute: 'gsi4pk', prefix: 'AUDITACTOR#' } as const;
const byAction = { index: 'auditByAction', attribute: 'gsi5pk', prefix: 'AUDITACTION#' } as const;

type Item = Record<string, NativeAttributeValue>;
const TABLE_ATTRIBUTES = ['pk', 'sk', 'gsi3pk', 'gsi4pk', 'gsi5pk', 'ttl'];

export function shardOf(entryId: string): number {
  return createHash('sha256').update(entryId).digest().readUInt32BE(0) % AUDIT_SHARDS;
}

function sortKey(entry: Pick<AuditEntry, 'at' | 'id'>): string {
  return `${entry.at}#${entry.id}`;
}

function ttlOf(deps: Deps, at: string): number {
  return Math.ceil(addDuration(new Date(at), deps.config.audit.retention).getTime() / 1000);
}

function keyAttributes(deps: Deps, entry: AuditEntry): Item {
  const shard = shardOf(entry.id);
  return {
    pk: `${BASE_PREFIX}${shard}`,
    sk: sortKey(entry),
    gsi5pk: `${byAction.prefix}${entry.action}#${shard}`,
    ...(entry.keyId === null ? {} : { gsi3pk: `${byKey.prefix}${entry.keyId}` }),
    ...(entry.actor === null ? {} : { gsi4pk: `${byActor.prefix}${entry.actor.owner}` }),
    [tableSchema.ttlAttribute]: ttlOf(deps, entry.at),
  };
}

function fromItem(item: Item): AuditEntry {
  const entry = { ...item };
  for (const attribute of TABLE_ATTRIBUTES) delete entry[attribute];
  return entry as AuditEntry;
}

/**
 * The Put of one audit entry, to be one more item of the TransactWriteItems that makes the
 * change it records: both are written, or neither. Append-only: it never replaces an item.
 */
export function auditEntryPut(deps: Deps, entry: AuditEntry) {
  return {
    Put: {
      TableName: deps.tableName,
      Item: { ...entry, ...keyAttributes(deps, entry) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export type AuditEntryPut = ReturnType<typeof auditEntryPut>;

/** One conditional Update of a TransactWriteItems, in the document client's shape. */
export interface TransactUpdate {
  TableName: string;
  Key: Record<string, unknown>;
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/**
 * The "one item changes, and its audit entry is written with it" shape: one conditional Update
 * and (when given) the audit entry's Put, in one TransactWriteItems, so both are written or
 * neither. A one-item transaction without an entry stays a transaction, so that an entry can
 * join it later without changing what the table sees. Resolves false when the Update's own
 * condition failed (nothing was written); any other failure is thrown.
 */
export async function updateWithAudit(deps: Deps, update: TransactUpdate, audit?: AuditEntryPut): Promise<boolean> {
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: [{ Update: update }, ...(audit === undefined ? [] : [audit])] }));
    return true;
  } catch (error) {
    if (conditionFailedAt(error, 0)) return false;
    throw error;
  }
}

/**
 * Adds one attempt to a failed-authentication aggregate (`entry.id` is its digest), creating it
 * on the first attempt. The first attempt's entry (its request id and user agent) is kept; later
 * ones bump `attempts` and `lastAttemptAt` and name no other attribute, which is all IAM lets a
 * role update of an audit entry (functions/contract/table-access.ts FAILED_ATTEMPT_ATTRIBUTES):
 * the log stays append-only. A flood is mostly later attempts, so the update goes first (one
 * write), and a first attempt costs a failed update and a put. Two first attempts racing: one
 * put wins, the other finds the entry and counts itself on it.
 */
export async function addFailedAttempt(deps: Deps, entry: AuditEntry, attemptAt: string): Promise<void> {
  if (await countFailedAttempt(deps, entry, attemptAt)) return;
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: { ...entry, attempts: 1, lastAttemptAt: attemptAt, ...keyAttributes(deps, entry) },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (error) {
    if (!isConditionFailed(error) || !(await countFailedAttempt(deps, entry, attemptAt))) throw error;
  }
}

/** One more attempt on an existing aggregate; false when there is none yet. */
async function countFailedAttempt(deps: Deps, entry: AuditEntry, attemptAt: string): Promise<boolean> {
  const { pk, sk } = keyAttributes(deps, entry);
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.tableName,
        Key: { pk, sk },
        UpdateExpression: 'SET lastAttemptAt = :last ADD attempts :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':one': 1, ':last': attemptAt },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailed(error)) return false;
    throw error;
  }
}

/* ---- queries ---- */

export interface AuditQuery {
  keyId?: string | undefined;
  actor?: string | undefined;
  action?: AuditAction | undefined;
  /** Inclusive, ISO 8601 UTC with milliseconds. */
  from?: string | undefined;
  /** Exclusive. */
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface Source {
  index?: string;
  attribute: string;
  partitions: string[];
  /** Conditions on filters the partition does not already imply. */
  filter?: { expression: string; names: Record<string, string>; values: Record<string, NativeAttributeValue> };
}

/**
 * The narrowest listing that holds every match: one key's or one owner's partition (remaining
 * filters applied by a FilterExpression), else the action's shards, else all shards. Only the
 * single-partition sources ever filter, so a fan-out never reads entries it then drops.
 */
function sourceFor(query: AuditQuery): Source {
  const filters: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, NativeAttributeValue> = {};
  const filterOn = (name: string, path: string, value: string) => {
    names[`#${name}`] = path;
    values[`:${name}`] = value;
    filters.push(`#${name} = :${name}`);
  };
  let source: Source;
  if (query.keyId !== undefined) {
    source = { index: byKey.index, attribute: byKey.attribute, partitions: [`${byKey.prefix}${query.keyId}`] };
    if (query.actor !== undefined) filterOn('actor', 'gsi4pk', `${byActor.prefix}${query.actor}`);
    if (query.action !== undefined) filterOn('action', 'action', query.action);
  } else if (query.actor !== undefined) {
    source = { index: byActor.index, attribute: byActor.attribute, partitions: [`${byActor.prefix}${query.actor}`] };
    if (query.action !== undefined) filterOn('action', 'action', query.action);
  } else if (query.action !== undefined) {
    const action = query.action;
    source = { index: byAction.index, attribute: byAction.attribute, partitions: shards((s) => `${byAction.prefix}${action}#${s}`) };
  } else {
    source = { attribute: 'pk', partitions: shards((s) => `${BASE_PREFIX}${s}`) };
  }
  if (filters.length > 0) source.filter = { expression: filters.join(' AND '), names, values };
  return source;
}

function shards(partition: (shard: number) => string): string[] {
  return Array.from({ length: AUDIT_SHARDS }, (_, s) => partition(s));
}

/*
 * Cursor: `before`, the sort key of the last entry the previous page covered; the next page
 * continues strictly below it in every partition. It is bound to the filters it was made for.
 */
const cursorSchema = onFirstUse(() => z.strictObject({ v: z.literal(1), q: z.string(), before: z.string() }));

function filterDigest(query: AuditQuery): string {
  const { keyId, actor, action, from, to } = query;
  return createHash('sha256').update(JSON.stringify([keyId, actor, action, from, to])).digest('base64url').slice(0, 16);
}

function encodeCursor(query: AuditQuery, before: string): string {
  return Buffer.from(JSON.stringify({ v: 1, q: filterDigest(query), before })).toString('base64url');
}

function decodeCursor(query: AuditQuery, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = cursorSchema().safeParse(parsed);
  if (!result.success || result.data.q !== filterDigest(query) || result.data.before.length !== SORT_KEY_LENGTH) {
    throw new ValidationError('cursor is not valid for this listing: pass nextCursor from the previous page unchanged, with the same filters', 'invalid_cursor');
  }
  return result.data.before;
}

/** `<at: 24>#<id: 16>`: toISOString() is 24 characters for every year from 0 to 9999. */
const SORT_KEY_LENGTH = 24 + 1 + ENTRY_ID_LENGTH;

/**
 * The greatest sort key below `sortKey`, for an exclusive upper bound in a key condition
 * (DynamoDB's BETWEEN is inclusive). Exact because every audit sort key has the same length:
 * any shorter-than-`sortKey` key of that length differs at some character and is smaller there.
 */
function justBelow(sortKey: string): string {
  return sortKey.slice(0, -1) + String.fromCharCode(sortKey.charCodeAt(sortKey.length - 1) - 1);
}

/** Bounds the reads of one filtered page; a page that hits it ends early, with a cursor. */
const MAX_FILTERED_READS = 10;

interface Stream {
  partition: string;
  buffer: Item[];
  startKey: Item | undefined;
  done: boolean;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

export async function queryAuditEntries(deps: Deps, query: AuditQuery): Promise<AuditPage> {
  const source = sourceFor(query);
  const low = query.from;
  const before = query.cursor === undefined ? undefined : decodeCursor(query, query.cursor);
  const highs = [query.to, before === undefined ? undefined : justBelow(before)].filter((h): h is string => h !== undefined);
  const high = highs.length === 0 ? undefined : highs.sort()[0];
  if (low !== undefined && high !== undefined && low > high) return { items: [], nextCursor: null };

  const streams: Stream[] = source.partitions.map((partition) => ({ partition, buffer: [], startKey: undefined, done: false }));
  // One partition: read one more than the page, so the last page says so (nextCursor null). Shards
  // hold about limit/shards of a page each: read a little more than that, then more on demand.
  const chunk = streams.length === 1 ? query.limit + 1 : Math.min(query.limit, Math.ceil((2 * query.limit) / streams.length) + 1);
  let reads = 0;

  const fill = async (stream: Stream) => {
    reads++;
    const keyCondition = ['#p = :p'];
    const values: Record<string, NativeAttributeValue> = { ':p': stream.partition, ...source.filter?.values };
    if (low !== undefined && high !== undefined) {
      keyCondition.push('sk BETWEEN :low AND :high');
      Object.assign(values, { ':low': low, ':high': high });
    } else if (low !== undefined) {
      keyCondition.push('sk >= :low');
      values[':low'] = low;
    } else if (high !== undefined) {
      keyCondition.push('sk <= :high');
      values[':high'] = high;
    }
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.tableName,
        ...(source.index === undefined ? {} : { IndexName: source.index }),
        KeyConditionExpression: keyCondition.join(' AND '),
        ...(source.filter === undefined ? {} : { FilterExpression: source.filter.expression }),
        ExpressionAttributeNames: { '#p': source.attribute, ...source.filter?.names },
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        Limit: chunk,
        ExclusiveStartKey: stream.startKey,
      }),
    );
    stream.buffer.push(...(page.Items ?? []));
    stream.startKey = page.LastEvaluatedKey;
    stream.done = page.LastEvaluatedKey === undefined;
  };

  const out: Item[] = [];
  let stoppedAt: string | undefined;
  while (out.length < query.limit) {
    const empty = streams.filter((s) => s.buffer.length === 0 && !s.done);
    if (empty.length > 0) {
      if (source.filter !== undefined && reads >= MAX_FILTERED_READS) {
        // Everything at or above the last evaluated key was returned or filtered out.
        stoppedAt = empty[0]?.startKey?.sk as string | undefined;
        break;
      }
      await settleAll(empty.map(fill));
      continue;
    }
    let newest: Stream | undefined;
    for (const stream of streams) {
      const head = stream.buffer[0];
      if (head !== undefined && (newest === undefined || head.sk > (newest.buffer[0]?.sk as string))) newest = stream;
    }
    if (newest === undefined) break;
    out.push(newest.buffer.shift() as Item);
  }

  const more = streams.some((s) => s.buffer.length > 0 || !s.done);
  const last = out.at(-1)?.sk as string | undefined;
  const nextBefore = stoppedAt ?? (more ? last : undefined);
  return { items: out.map(fromItem), nextCursor: nextBefore === undefined ? null : encodeCursor(query, nextBefore) };
}
