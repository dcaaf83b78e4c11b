import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import type { Deps } from '../runtime/deps.js';
import { ValidationError } from '../shared/errors.js';
import { effectiveExpiry, type KeyRecord, keyStatus, type KeyStatus } from './key-model.js';
import type { KeyPage, ListQuery } from './key-store-interface.js';
import { onFirstUse } from '../shared/on-first-use.js';
import { settleAll } from '../shared/settled.js';

/*
 * Listing keys: a query on one of the three key indexes, never a scan.
 *
 *   keysByOwner  gsi6pk OWNER#<owner>       gsi6sk <createdAt>#<id>        one owner's keys, newest first
 *   keysAll      gsi7pk KEYS#<shard>        gsi7sk <createdAt>#<id>        every key, newest first
 *   keysByName   gsi8pk KEYNAMES#<shard>    gsi8sk <lower-cased name>#<id> every key, by name (prefix search)
 *
 * Why sharded. A partition takes about 1,000 write units/s (and 3,000 read units/s), and an index
 * partition whose sort key only grows takes all its writes at one end, so DynamoDB cannot split it
 * for heat. With one `KEYS` partition every create, edit and delete of any key would queue there.
 * KEY_SHARDS partitions (the shard is a digest of the key id, as the audit log's is of the entry
 * id: functions/audit/audit-store.ts) take KEY_SHARDS × 1,000 index writes/s. A listing fans out one
 * query per shard and merges the shards in order. Per owner the partition is one: its write rate
 * is one owner's key changes, far below 1,000/s. The count may be raised, never lowered.
 *
 * Why the indexes hold so little. They project KEY_INDEX_ATTRIBUTES (table-schema.ts): what a
 * listing filters on before reading whole items, all of which change only on create, edit or
 * delete. A use record writes lastUsedAt, inactiveAt and ttl, none of them projected, so it writes
 * the table item only (1 write unit for an item up to 1 KB, instead of 3 with two ALL indexes). A
 * page therefore reads the matching index entries, then the whole items by BatchGetItem
 * (strongly consistent, like a GET of one key), and applies the exact filters to those.
 *
 * Filters. `owner`, `namePrefix` (with no owner) and the order are key conditions. `tag`, an
 * owner's `namePrefix` and the part of `status` that needs no use record (revoked or not, fixed
 * expiry) are FilterExpressions on the index. The rest (`status` by inactivity, `expiringBefore`
 * on the effective expiry, `unusedSince`) depend on the use record, which the indexes leave out on
 * purpose, so they are checked on the whole items. A page reads at most MAX_INDEX_ENTRIES index
 * entries: a page cut short by that bound (or by filters) still carries a cursor when more
 * entries remain, so a short or even empty page with a cursor means "keep going".
 */
export const KEY_SHARDS = 8;

export function keyShardOf(id: string): number {
  return createHash('sha256').update(id).digest().readUInt32BE(0) % KEY_SHARDS;
}

/** A name's index form: names are unique per owner case-insensitively (the name lock uses the same). */
export function lowerName(name: string): string {
  return name.toLowerCase();
}

/** The index attributes of a key item (key-store.ts toItem adds them). */
export function keyIndexAttributes(key: Pick<KeyRecord, 'id' | 'owner' | 'name' | 'createdAt'>): Record<string, string> {
  const created = `${key.createdAt}#${key.id}`;
  const shard = keyShardOf(key.id);
  return {
    nameLower: lowerName(key.name),
    gsi6pk: `OWNER#${key.owner}`,
    gsi6sk: created,
    gsi7pk: `KEYS#${shard}`,
    gsi7sk: created,
    gsi8pk: `KEYNAMES#${shard}`,
    gsi8sk: `${lowerName(key.name)}#${key.id}`,
  };
}

export const KEY_INDEX_TABLE_ATTRIBUTES = ['nameLower', 'gsi6pk', 'gsi6sk', 'gsi7pk', 'gsi7sk', 'gsi8pk', 'gsi8sk'] as const;

/** Exactly what a listing keeps of a key, on the whole item: the index filters only narrow what is read. */
export function matchesListQuery(key: KeyRecord, query: Omit<ListQuery, 'limit' | 'cursor'>, now: Date): boolean {
  if (query.owner !== undefined && key.owner !== query.owner) return false;
  if (query.status !== undefined && keyStatus(key, now) !== query.status) return false;
  if (query.tag !== undefined && !(key.tags ?? []).includes(query.tag)) return false;
  if (query.namePrefix !== undefined && !lowerName(key.name).startsWith(lowerName(query.namePrefix))) return false;
  if (query.expiringBefore !== undefined && !(Date.parse(effectiveExpiry(key).at) < Date.parse(query.expiringBefore))) return false;
  if (query.unusedSince !== undefined && key.lastUsedAt !== undefined && Date.parse(key.lastUsedAt) >= Date.parse(query.unusedSince)) return false;
  return true;
}

/** The order a listing returns: by name for a name prefix over all owners, else newest first. */
export function listOrder(query: Pick<ListQuery, 'owner' | 'namePrefix'>): 'name' | 'newest' {
  return query.owner === undefined && query.namePrefix !== undefined ? 'name' : 'newest';
}

type Item = Record<string, NativeAttributeValue>;

interface Source {
  index: string;
  partitionAttribute: string;
  sortAttribute: string;
  partitions: string[];
  ascending: boolean;
}

function sourceFor(query: ListQuery): Source {
  if (query.owner !== undefined) {
    return { index: 'keysByOwner', partitionAttribute: 'gsi6pk', sortAttribute: 'gsi6sk', partitions: [`OWNER#${query.owner}`], ascending: false };
  }
  const shards = (prefix: string) => Array.from({ length: KEY_SHARDS }, (_, s) => `${prefix}${s}`);
  if (query.namePrefix !== undefined) {
    return { index: 'keysByName', partitionAttribute: 'gsi8pk', sortAttribute: 'gsi8sk', partitions: shards('KEYNAMES#'), ascending: true };
  }
  return { index: 'keysAll', partitionAttribute: 'gsi7pk', sortAttribute: 'gsi7sk', partitions: shards('KEYS#'), ascending: false };
}

/**
 * What the projected attributes decide (tags, nameLower, expiresAt, revokedAt): a necessary
 * condition of matchesListQuery, checked on each index entry before its item is read. Done here
 * rather than as a FilterExpression (which costs the same read units) so that every entry read
 * is consumed in order, and a page cut short by MAX_INDEX_ENTRIES ends at a well-defined cursor.
 */
export function mayMatchIndexEntry(entry: Item, query: Omit<ListQuery, 'limit' | 'cursor'>, now: Date): boolean {
  if (query.tag !== undefined && !(Array.isArray(entry.tags) && entry.tags.includes(query.tag))) return false;
  if (query.namePrefix !== undefined && !String(entry.nameLower ?? '').startsWith(lowerName(query.namePrefix))) return false;
  if (query.status !== undefined) {
    const revoked = entry.revokedAt !== undefined;
    const fixed = typeof entry.expiresAt === 'string' ? entry.expiresAt : null;
    const nowIso = now.toISOString();
    if (query.status === 'revoked') return revoked;
    if (revoked) return false;
    if ((query.status === 'active' || query.status === 'suspended') && fixed !== null && fixed <= nowIso) return false;
    if (query.status === 'expired' && (fixed === null || fixed > nowIso)) return false;
  }
  return true;
}

/*
 * Cursor: the sort key of the last index entry the previous page consumed (returned or filtered
 * out); the next page continues strictly after it in every partition. It is bound to the filters
 * it was made for, and `after` must look like a sort key of its index, so a hand-made one is a
 * 400. The key condition fixes the partitions, so even a well-formed forgery reads nothing the
 * listing would not.
 */
const cursorSchema = onFirstUse(() => z.strictObject({ v: z.literal(1), q: z.string(), after: z.string().min(1).max(400) }));
const CREATED_SORT_KEY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[0-9A-Za-z]{22}$/;

function filterDigest(query: ListQuery): string {
  const { owner, status, tag, namePrefix, expiringBefore, unusedSince } = query;
  const parts = [owner, status, tag, namePrefix === undefined ? undefined : lowerName(namePrefix), expiringBefore, unusedSince];
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function encodeCursor(query: ListQuery, after: string): string {
  return Buffer.from(JSON.stringify({ v: 1, q: filterDigest(query), after })).toString('base64url');
}

function decodeCursor(query: ListQuery, source: Source, cursor: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = cursorSchema().safeParse(parsed);
  const shapeOk =
    result.success &&
    (source.index === 'keysByName'
      ? result.data.after.startsWith(lowerName(query.namePrefix ?? '')) && /#[0-9A-Za-z]{22}$/.test(result.data.after)
      : CREATED_SORT_KEY.test(result.data.after));
  if (!result.success || !shapeOk || result.data.q !== filterDigest(query)) {
    throw new ValidationError(
      'cursor is not valid for this listing: pass nextCursor from the previous page unchanged, with the same filters',
      'invalid_cursor',
    );
  }
  return result.data.after;
}

/** Bounds one page's work: index entries examined (each then read whole, if the index filters keep it). */
const MAX_INDEX_ENTRIES = 1000;
/** Above every continuation of a valid name: U+10FFFF is unassigned, which names refuse (text-schemas.ts). */
const NAME_CEILING = '\u{10FFFF}';

interface Stream {
  partition: string;
  buffer: Item[];
  startKey: Item | undefined;
  done: boolean;
}

export type FindKeys = (ids: readonly string[]) => Promise<Map<string, KeyRecord>>;

export async function queryKeyIndexes(deps: Deps, findKeys: FindKeys, query: ListQuery, now: Date): Promise<KeyPage> {
  const source = sourceFor(query);
  const after = query.cursor === undefined ? undefined : decodeCursor(query, source, query.cursor);
  const filtered = query.tag !== undefined || query.status !== undefined || query.namePrefix !== undefined;
  const sk = source.sortAttribute;
  const prefix = query.namePrefix === undefined ? '' : lowerName(query.namePrefix);

  const keyCondition = (): { expression: string; values: Record<string, string> } => {
    if (source.index === 'keysByName') {
      return { expression: '#p = :p AND #sk BETWEEN :low AND :high', values: { ':low': after ?? prefix, ':high': `${prefix}${NAME_CEILING}` } };
    }
    return after === undefined ? { expression: '#p = :p', values: {} } : { expression: '#p = :p AND #sk < :after', values: { ':after': after } };
  };
  const condition = keyCondition();
  const streams: Stream[] = source.partitions.map((partition) => ({ partition, buffer: [], startKey: undefined, done: false }));
  // Filters drop entries: read bigger pieces then. Shards hold about limit/shards of a page each.
  const chunk = filtered ? 100 : streams.length === 1 ? query.limit + 1 : Math.min(100, Math.ceil((2 * query.limit) / streams.length) + 1);
  let examined = 0;

  const fill = async (stream: Stream) => {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.tableName,
        IndexName: source.index,
        KeyConditionExpression: condition.expression,
        ExpressionAttributeNames: { '#p': source.partitionAttribute, ...(condition.expression.includes('#sk') ? { '#sk': sk } : {}) },
        ExpressionAttributeValues: { ':p': stream.partition, ...condition.values },
        ScanIndexForward: source.ascending,
        Limit: chunk,
        ExclusiveStartKey: stream.startKey,
      }),
    );
    examined += page.Items?.length ?? 0;
    // BETWEEN is inclusive: the cursor's own entry was consumed by the previous page.
    stream.buffer.push(...(page.Items ?? []).filter((item) => item[sk] !== after));
    stream.startKey = page.LastEvaluatedKey;
    stream.done = page.LastEvaluatedKey === undefined;
  };
  const first = (a: string, b: string) => (source.ascending ? a < b : a > b);

  const out: KeyRecord[] = [];
  let consumed: string | undefined;
  let cutShort = false;
  while (out.length < query.limit && !cutShort) {
    // Take the next entries in merged order until the page could be full, then read them whole.
    const taken: Item[] = [];
    while (taken.length < query.limit - out.length) {
      const empty = streams.filter((s) => s.buffer.length === 0 && !s.done);
      if (empty.length > 0) {
        // Every entry read so far was consumed in order, so `consumed` is where the next page starts.
        if (examined >= MAX_INDEX_ENTRIES && consumed !== undefined) {
          cutShort = true;
          break;
        }
        await settleAll(empty.map(fill));
        continue;
      }
      let next: Stream | undefined;
      for (const stream of streams) {
        const head = stream.buffer[0];
        if (head !== undefined && (next === undefined || first(head[sk] as string, next.buffer[0]?.[sk] as string))) next = stream;
      }
      if (next === undefined) break;
      const entry = next.buffer.shift() as Item;
      consumed = entry[sk] as string;
      if (mayMatchIndexEntry(entry, query, now)) taken.push(entry);
    }
    if (taken.length === 0) break;
    const keys = await findKeys(taken.map((item) => (item.pk as string).slice('KEY#'.length)));
    for (const item of taken) {
      const key = keys.get((item.pk as string).slice('KEY#'.length));
      // Absent: deleted by TTL since the index was read.
      if (key !== undefined && matchesListQuery(key, query, now)) out.push(key);
    }
  }
  const more = cutShort || streams.some((s) => s.buffer.length > 0 || !s.done);
  return { items: out, nextCursor: more && consumed !== undefined ? encodeCursor(query, consumed) : null };
}
