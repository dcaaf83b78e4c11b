import * as z from 'zod';
import { ValidationError } from './errors.js';

/**
 * Opaque cursors over a query on a global secondary index: the query's LastEvaluatedKey, which
 * holds exactly the table's key (pk, sk) and the index's key. A cursor continues only the
 * listing it came from (same index, same partition), and must hold exactly those four
 * attributes, each a non-empty string: a hand-made cursor with one missing, empty or extra would
 * otherwise reach DynamoDB as an invalid ExclusiveStartKey (a 500, not the caller's 400). The
 * key condition fixes the partition, so even a well-formed forged cursor reads nothing the
 * listing would not.
 */
export interface IndexCursorShape {
  /** The index's partition and sort key attributes (gsi1pk, gsi1sk, ...). */
  partitionAttribute: string;
  sortAttribute: string;
  /** The partition the listing queries: a cursor of another one is refused. */
  partition: string;
  /** Checks pk and sk further (a key listing's pk starts with KEY#, say). */
  tableKey?: { pk?: z.ZodType<string>; sk?: z.ZodType<string> };
  /** Says what the caller must keep the same between pages. */
  hint?: string;
}

export type IndexCursorKey = Record<string, string>;

export function encodeIndexCursor(key: Record<string, unknown> | undefined): string | null {
  return key === undefined ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

const nonEmpty = z.string().min(1).max(1024);

export function decodeIndexCursor(cursor: string, shape: IndexCursorShape): IndexCursorKey {
  const schema = z.strictObject({
    pk: shape.tableKey?.pk ?? nonEmpty,
    sk: shape.tableKey?.sk ?? nonEmpty,
    [shape.partitionAttribute]: z.literal(shape.partition),
    [shape.sortAttribute]: nonEmpty,
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    throw new ValidationError(`cursor is not valid for this listing: pass nextCursor from the previous page unchanged${shape.hint ?? ''}`, 'invalid_cursor');
  }
  return result.data as IndexCursorKey;
}
