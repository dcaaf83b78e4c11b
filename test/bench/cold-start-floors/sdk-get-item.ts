import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';

/**
 * The SDK floor of a cold start: a function that does nothing but read one key item, consistently,
 * through the AWS SDK's document client with its defaults, bundled as the stack bundles keygate's
 * functions (test/bench/bundles.ts builds it). Every keygate function carries the SDK, so none can
 * start faster than this on the same machine. FLOOR_TABLE and FLOOR_KEY_ID name the item;
 * DYNAMODB_ENDPOINT, when set, the endpoint (as keygate's functions take it).
 */
const endpoint = process.env.DYNAMODB_ENDPOINT;
const client = DynamoDBDocumentClient.from(new DynamoDBClient(endpoint === undefined ? {} : { endpoint }));

export async function handler(): Promise<{ statusCode: number }> {
  const { Item } = await client.send(new GetCommand({ TableName: process.env.FLOOR_TABLE, Key: { pk: `KEY#${process.env.FLOOR_KEY_ID}`, sk: 'KEY' }, ConsistentRead: true }));
  return { statusCode: Item === undefined ? 404 : 200 };
}
