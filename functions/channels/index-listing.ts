import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { Deps } from '../runtime/deps.js';
import { decodeIndexCursor, encodeIndexCursor } from '../shared/index-cursor.js';

/**
 * Listings of channels and operator messages: one partition of the `all` index (gsi2: every
 * item of a kind, for admins) or of the `byOwner` index (gsi1: one owner's), newest first
 * (both sort keys are `<createdAt>#<id>`). Always a Query on an index, never a Scan. A cursor
 * continues only the listing (index and partition) it came from.
 */
export interface IndexListing {
  indexName: 'all' | 'byOwner';
  partitionAttribute: 'gsi2pk' | 'gsi1pk';
  sortAttribute: 'gsi2sk' | 'gsi1sk';
  partition: string;
}

/** Every item of a kind (`allPartition`), or one owner's (`ownerPrefix` + owner). */
export function indexListing(allPartition: string, ownerPrefix: string, owner: string | undefined): IndexListing {
  return owner === undefined
    ? { indexName: 'all', partitionAttribute: 'gsi2pk', sortAttribute: 'gsi2sk', partition: allPartition }
    : { indexName: 'byOwner', partitionAttribute: 'gsi1pk', sortAttribute: 'gsi1sk', partition: `${ownerPrefix}${owner}` };
}

type Item = Record<string, NativeAttributeValue>;

/** One page, newest first. `filter` narrows it (so a page can hold fewer than `limit` items). */
export async function queryListing(
  deps: Deps,
  listing: IndexListing,
  page: { limit: number; cursor?: string | undefined; filter?: string | undefined },
): Promise<{ items: Item[]; nextCursor: string | null }> {
  const result = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: listing.indexName,
      KeyConditionExpression: '#p = :p',
      ExpressionAttributeNames: { '#p': listing.partitionAttribute },
      ExpressionAttributeValues: { ':p': listing.partition },
      ...(page.filter === undefined ? {} : { FilterExpression: page.filter }),
      ScanIndexForward: false,
      Limit: page.limit,
      ExclusiveStartKey: page.cursor === undefined ? undefined : decodeIndexCursor(page.cursor, { ...listing, hint: ', with the same filters' }),
    }),
  );
  return { items: result.Items ?? [], nextCursor: encodeIndexCursor(result.LastEvaluatedKey) };
}
