import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import type { AuditEntryPut } from '../audit/audit-store.js';
import type { Actor } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { conditionFailedAt } from '../shared/dynamodb.js';
import { indexListing, queryListing } from './index-listing.js';

/*
 * Items (see functions/contract/table-schema.ts):
 *   channel    pk CHANNEL#<id>  sk CHANNEL
 *              gsi1pk CHANNELOWNER#<owner>  gsi1sk <createdAt>#<id>   (byOwner: one owner's channels)
 *              gsi2pk CHANNELS              gsi2sk <createdAt>#<id>   (all: every channel, for admins)
 *   name lock  pk OWNERCHANNELNAME#<owner>#<lower-cased name>  sk NAME  { channelId }   an owner channel
 *              pk CHANNELNAME#<lower-cased name>               sk NAME  { channelId }   an admin channel
 *
 * Every channel has an owner. An admin channel is one an admin created for its own owner: an
 * admin may send any owner's key notifications to it, only admins delete it, and the
 * deployment's default channel must be one (see keys/key-reminders.ts for why). Channels
 * written before channels had owners have no `owner`: they are treated as admin channels, which
 * only admins see or manage (whoever created them, nobody else can claim them now).
 *
 * Names are unique case-insensitively: an owner channel's among its owner's channels, an admin
 * channel's deployment-wide, so the default channel's name names exactly one channel. The
 * deployment-wide locks are the ones every channel had before owners, so old channels keep
 * theirs. Owners cannot contain '#' and the two prefixes differ, so lock keys cannot collide.
 * A lock is written and deleted in the same transaction as its channel. The functions named
 * `...Items` return transaction items, so a caller can add its own (an audit entry) to the same
 * TransactWriteItems.
 */
const channelPk = (id: string) => `CHANNEL#${id}`;
const CHANNEL_SK = 'CHANNEL';
const NAME_SK = 'NAME';
const ALL_CHANNELS = 'CHANNELS';
const OWNER_CHANNELS = 'CHANNELOWNER#';
const adminNamePk = (name: string) => `CHANNELNAME#${name.toLowerCase()}`;

interface ChannelBase {
  id: string;
  name: string;
  /** Absent only on channels written before channels had owners (admin channels, see above). */
  owner?: string;
  /** Created by an admin for its own owner. */
  adminChannel?: true;
  createdAt: string;
  createdBy: Actor;
}

export type Channel =
  | (ChannelBase & { type: 'email'; addresses: string[] })
  /**
   * The signing secret is returned by the create response only. The item holds it sealed
   * (`sealedSecret`, channels/secret-box.ts: KMS on AWS), opened by the notifier to sign.
   * `signingSecret` (plaintext) is only on channels made before secrets were sealed.
   */
  | (ChannelBase & { type: 'webhook'; url: string; sealedSecret?: string; signingSecret?: string })
  | (ChannelBase & { type: 'operator' });

export function isAdminChannel(channel: Pick<Channel, 'owner' | 'adminChannel'>): boolean {
  return channel.owner === undefined || channel.adminChannel === true;
}

/**
 * Whether a notification of a key of `keyOwner` may go to this channel: a channel of the key's
 * owner, or an admin channel when an admin chose it (`adminChose`). So a non-admin can neither
 * send its keys' reminders to another owner's channel nor have other owners' sent to its own.
 */
export function mayCarry(channel: Pick<Channel, 'owner' | 'adminChannel'>, keyOwner: string, adminChose: boolean): boolean {
  return (channel.owner !== undefined && channel.owner === keyOwner) || (adminChose && isAdminChannel(channel));
}

function namePk(channel: Pick<Channel, 'name' | 'owner' | 'adminChannel'>): string {
  return isAdminChannel(channel) ? adminNamePk(channel.name) : `OWNERCHANNELNAME#${channel.owner}#${channel.name.toLowerCase()}`;
}

type Item = Record<string, NativeAttributeValue>;
type TransactItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];

function toItem(channel: Channel): Item {
  const sortKey = `${channel.createdAt}#${channel.id}`;
  return { ...channel, pk: channelPk(channel.id), sk: CHANNEL_SK, gsi1pk: `${OWNER_CHANNELS}${channel.owner}`, gsi1sk: sortKey, gsi2pk: ALL_CHANNELS, gsi2sk: sortKey };
}

function fromItem(item: Item): Channel {
  const { pk: _pk, sk: _sk, gsi1pk: _op, gsi1sk: _os, gsi2pk: _p, gsi2sk: _s, ...channel } = item;
  return channel as Channel;
}

/** The channel and its name lock; fails (index 1) when the name is taken. */
export function channelInsertItems(tableName: string, channel: Channel): TransactItem[] {
  return [
    { Put: { TableName: tableName, Item: toItem(channel), ConditionExpression: 'attribute_not_exists(pk)' } },
    { Put: { TableName: tableName, Item: { pk: namePk(channel), sk: NAME_SK, channelId: channel.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
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
        Key: { pk: namePk(channel), sk: NAME_SK },
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

/** The admin channel of that name (case-insensitively), if there is one. */
export async function findAdminChannelByName(deps: Deps, name: string): Promise<Channel | undefined> {
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: adminNamePk(name), sk: NAME_SK }, ConsistentRead: true }));
  const channel = typeof Item?.channelId === 'string' ? await findChannel(deps, Item.channelId) : undefined;
  return channel && isAdminChannel(channel) ? channel : undefined;
}

/** Newest first: one owner's channels, or (owner undefined) every channel. */
export async function queryChannels(deps: Deps, page: { owner?: string | undefined; limit: number; cursor?: string | undefined }) {
  const listed = await queryListing(deps, indexListing(ALL_CHANNELS, OWNER_CHANNELS, page.owner), page);
  return { items: listed.items.map(fromItem), nextCursor: listed.nextCursor };
}
