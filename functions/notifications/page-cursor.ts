import { decodeIndexCursor, encodeIndexCursor, type IndexCursorKey } from '../shared/index-cursor.js';

/** Opaque cursors over listings of the `all` index (gsi2), continuing only the listing (partition) they came from. */
export const encodeCursor = encodeIndexCursor;

export function decodeCursor(cursor: string | undefined, partition: string): IndexCursorKey | undefined {
  if (cursor === undefined) return undefined;
  return decodeIndexCursor(cursor, { partitionAttribute: 'gsi2pk', sortAttribute: 'gsi2sk', partition });
}
