import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import * as z from 'zod';
import { ValidationError } from '../shared/errors.js';

/**
 * Opaque cursors over listings of the `all` index (gsi2): they carry the last evaluated key and
 * continue only the listing they came from (same partition).
 */
const cursorSchema = z.strictObject({ pk: z.string(), sk: z.string(), gsi2pk: z.string(), gsi2sk: z.string() });

export function encodeCursor(key: Record<string, NativeAttributeValue> | undefined): string | null {
  return key === undefined ? null : Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, partition: string): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const result = cursorSchema.safeParse(parsed);
  if (!result.success || result.data.gsi2pk !== partition) {
    throw new ValidationError('cursor is not valid for this listing: pass nextCursor from the previous page unchanged', 'invalid_cursor');
  }
  return result.data;
}
