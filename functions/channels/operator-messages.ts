import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut, updateWithAudit } from '../audit/audit-store.js';
import { type Actor, actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { isConditionFailed } from '../shared/dynamodb.js';
import { NotFoundError } from '../shared/errors.js';
import type { Channel } from './channel-store.js';
import type { NotificationMessage } from './channel-message.js';
import { indexListing, queryListing } from './index-listing.js';
import { listedOwner, mayAccess } from '../permissions/ownership.js';
import type { OperatorMessagesInput } from './schemas.js';

/*
 * Operator messages: what an `operator` channel delivers, kept in the table and listed by the API.
 *   message  pk OPMSG#<id>  sk OPMSG
 *            gsi1pk OPMSGOWNER#<owner>  gsi1sk <createdAt>#<id>   (byOwner: one owner's messages)
 *            gsi2pk OPMSGS              gsi2sk <createdAt>#<id>   (all: every message, for admins)
 * The id is the notification's id, so a repeated delivery of one notification stores one message.
 *
 * A message belongs to the owner of the key it is about (not to the channel's: an admin channel
 * gets every owner's), and only that owner's principals and admins list or acknowledge it.
 * Messages stored before messages had owners carry none: only admins see those.
 */
const messagePk = (id: string) => `OPMSG#${id}`;
const MESSAGE_SK = 'OPMSG';
const ALL_MESSAGES = 'OPMSGS';
const OWNER_MESSAGES = 'OPMSGOWNER#';

export interface OperatorMessage {
  id: string;
  channelId: string;
  channelName: string;
  keyId: string;
  /** The owner of the key; absent on messages stored before messages had owners. */
  owner?: string;
  subject: string;
  text: string;
  createdAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: Actor;
}

type Item = Record<string, NativeAttributeValue>;

function fromItem(item: Item): OperatorMessage {
  const { pk: _pk, sk: _sk, gsi1pk: _op, gsi1sk: _os, gsi2pk: _p, gsi2sk: _s, ...message } = item;
  return message as OperatorMessage;
}

export function operatorMessageDetails(message: OperatorMessage) {
  return { ...message, owner: message.owner ?? null, acknowledgedAt: message.acknowledgedAt ?? null, acknowledgedBy: message.acknowledgedBy ?? null };
}

/** The Put of a new message, as a transaction item would carry it. */
export function operatorMessagePut(tableName: string, message: OperatorMessage) {
  const sortKey = `${message.createdAt}#${message.id}`;
  return {
    TableName: tableName,
    Item: { ...message, pk: messagePk(message.id), sk: MESSAGE_SK, gsi1pk: `${OWNER_MESSAGES}${message.owner}`, gsi1sk: sortKey, gsi2pk: ALL_MESSAGES, gsi2sk: sortKey },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export async function storeOperatorMessage(deps: Deps, channel: Channel, key: { id: string; owner: string }, message: NotificationMessage): Promise<void> {
  const stored: OperatorMessage = {
    id: message.id,
    channelId: channel.id,
    channelName: channel.name,
    keyId: key.id,
    owner: key.owner,
    subject: message.subject,
    text: message.text,
    createdAt: deps.clock().toISOString(),
  };
  try {
    await deps.ddb.send(new PutCommand(operatorMessagePut(deps.tableName, stored)));
  } catch (error) {
    if (!isConditionFailed(error)) throw error; // already stored by an earlier attempt
  }
}

export async function listOperatorMessages(deps: Deps, principal: Principal, input: OperatorMessagesInput) {
  const owner = listedOwner(principal, input.owner, 'operator messages');
  const filter = input.acknowledged === undefined ? undefined : input.acknowledged === 'true' ? 'attribute_exists(acknowledgedAt)' : 'attribute_not_exists(acknowledgedAt)';
  const page = await queryListing(deps, indexListing(ALL_MESSAGES, OWNER_MESSAGES, owner), { limit: input.limit, cursor: input.cursor, filter });
  return { items: page.items.map(fromItem).map(operatorMessageDetails), nextCursor: page.nextCursor };
}

async function findMessage(deps: Deps, id: string): Promise<OperatorMessage | undefined> {
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: messagePk(id), sk: MESSAGE_SK }, ConsistentRead: true }));
  return Item ? fromItem(Item) : undefined;
}

/**
 * Marks a message acknowledged; acknowledging it again keeps the first acknowledgment. Messages
 * about other owners' keys look absent. A one-item transaction, so an audit entry can join it.
 */
export async function acknowledgeOperatorMessage(deps: Deps, principal: Principal, id: string) {
  const found = await findMessage(deps, id);
  if (!found || !mayAccess(principal, found.owner)) throw new NotFoundError(`no operator message with id ${id}`);
  const by: Actor = actorOf(principal);
  const audit = changeEntry(deps, { actor: by, request: principal.request }, 'operator-message.acknowledge', {
    target: { type: 'operator-message', id },
    details: {},
  });
  const written = await updateWithAudit(
    deps,
    {
      TableName: deps.tableName,
      Key: { pk: messagePk(id), sk: MESSAGE_SK },
      UpdateExpression: 'SET acknowledgedAt = :now, acknowledgedBy = :by',
      // The owner check above holds: a message is written once and its owner never changes.
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(acknowledgedAt)',
      ExpressionAttributeValues: { ':now': deps.clock().toISOString(), ':by': by },
    },
    auditEntryPut(deps, audit),
  );
  // Not written: it was acknowledged already (the first acknowledgment stands).
  if (written) changeCommitted(audit);
  const message = await findMessage(deps, id);
  if (!message) throw new NotFoundError(`no operator message with id ${id}`);
  return operatorMessageDetails(message);
}
