import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { AuditEntryPut } from '../audit/audit-store.js';
import type { Actor } from '../keys/key-model.js';
import type { Deps } from '../shared/deps.js';
import { conditionFailedAt } from '../shared/dynamodb.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';

/*
 * Items (see infra/table-schema.ts):
 *   channel     pk CHANNEL#<id>                 sk CHANNEL   gsi2pk CHANNELS  gsi2sk <createdAt>#<id>
 *   name lock   pk CHANNELNAME#<lower-cased name> sk NAME    { channelId }
 *
 * Channel names are unique (case-insensitively) so deployment defaults can name their channel;
 * the lock is written and deleted in the same transaction as its channel. The functions named
 * `...Items` return transaction items, so a caller can add its own (an audit entry) to the
 * same TransactWriteItems.
 */
const channelPk = (id: string) => `CHANNEL#${id}`;
const namePk = (name: string) => `CHANNELNAME#${name.toLowerCase()}`;
const CHANNEL_SK = 'CHANNEL';
const NAME_SK = 'NAME';
export const ALL_CHANNELS = 'CHANNELS';

interface ChannelBase {
  id: string;
  name: string;
  createdAt: string;
  createdBy: Actor;
}

export type Channel =
  | (ChannelBase & { type: 'email'; addresses: string[] })
  /** `signingSecret` is returned by the create response only, and used by the notifier to sign. */
  | (ChannelBase & { type: 'webhook'; url: string; signingSecret: string })
  | (ChannelBase & { type: 'operator' });

type Item = Record<string, NativeAttributeValue>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

function toItem(channel: Channel): Item {
  return { ...channel, pk: channelPk(channel.id), sk: CHANNEL_SK, gsi2pk: ALL_CHANNELS, gsi2sk: `${channel.createdAt}#${channel.id}` };
}

function fromItem(item: Item): Channel {
  const { pk: _pk, sk: _sk, gsi2pk: _p, gsi2sk: _s, ...channel } = item;
  return channel as Channel;
}

/** The channel and its name lock; fails (index 1) when the name is taken. */
export function channelInsertItems(tableName: string, channel: Channel): TransactItem[] {
  return [
    { Put: { TableName: tableName, Item: toItem(channel), ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: tableName, Item: { pk: namePk(channel.name), sk: NAME_SK, channelId: channel.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
  ];
}

/** The channel, its name lock and the audit entry of its creation: all or nothing. */
export async function insertChannel(deps: Deps, channel: Channel, audit: AuditEntryPut): Promise<'ok' | 'name_taken'> {
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...channelInsertItems(deps.tableName, channel), audit] }));
    return 'ok';
  } catch (error) {
    if (conditionFailedAt(error, 1)) return 'name_taken';
    throw error;
  }
}

/** Deletes the channel and its name lock, conditional on the channel still existing. */
export function channelDeleteItems(tableName: string, channel: Channel): TransactItem[] {
  return [
    { Delete: { TableName: tableName, Key: { pk: channelPk(channel.id), sk: CHANNEL_SK }, ConditionExpression: 'attribute_exists(pk)' } },
    {
      Delete: {
        TableName: tableName,
        Key: { pk: namePk(channel.name), sk: NAME_SK },
        ConditionExpression: 'channelId = :id',
        ExpressionAttributeValues: { ':id': channel.id },
      },
    },
  ];
}

export async function removeChannel(deps: Deps, channel: Channel, audit: AuditEntryPut): Promise<boolean> {
  try {
    await deps.ddb.send(new TransactWriteCommand({ TransactItems: [...channelDeleteItems(deps.tableName, channel), audit] }));
    return true;
  } catch (error) {
    if (conditionFailedAt(error, 0)) return false;
    throw error;
  }
}

export async function findChannel(deps: Deps, id: string): Promise<Channel | undefined> {
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: channelPk(id), sk: CHANNEL_SK }, ConsistentRead: true }));
  return Item ? fromItem(Item) : undefined;
}

export async function findChannelByName(deps: Deps, name: string): Promise<Channel | undefined> {
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: namePk(name), sk: NAME_SK }, ConsistentRead: true }));
  return typeof Item?.channelId === 'string' ? findChannel(deps, Item.channelId) : undefined;
}

/** Newest first. */
export async function queryChannels(deps: Deps, limit: number, cursor?: string): Promise<{ items: Channel[]; nextCursor: string | null }> {
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: 'all',
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': ALL_CHANNELS },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: decodeCursor(cursor, ALL_CHANNELS),
    }),
  );
  return { items: (page.Items ?? []).map(fromItem), nextCursor: encodeCursor(page.LastEvaluatedKey) };
}
