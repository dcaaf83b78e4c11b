import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import type { Actor } from '../keys/key-model.js';
import type { Principal } from '../keys/key-service.js';
import type { Deps } from '../shared/deps.js';
import { conditionFailedAt, isConditionFailed } from '../shared/dynamodb.js';
import { NotFoundError } from '../shared/errors.js';
import type { Channel } from './channel-store.js';
import type { NotificationMessage } from './message.js';
import { decodeCursor, encodeCursor } from './page-cursor.js';
import type { OperatorMessagesInput } from './schemas.js';

/*
 * Operator messages: what an `operator` channel delivers, kept in the table and listed by the API.
 *   message  pk OPMSG#<id>  sk OPMSG   gsi2pk OPMSGS  gsi2sk <createdAt>#<id> (newest first)
 * The id is the notification's id, so a repeated delivery of one notification stores one message.
 */
const messagePk = (id: string) => `OPMSG#${id}`;
const MESSAGE_SK = 'OPMSG';
const ALL_MESSAGES = 'OPMSGS';

export interface OperatorMessage {
  id: string;
  channelId: string;
  channelName: string;
  keyId: string;
  subject: string;
  text: string;
  createdAt: string;
  acknowledgedAt?: string;
  acknowledgedBy?: Actor;
}

type Item = Record<string, NativeAttributeValue>;

function fromItem(item: Item): OperatorMessage {
  const { pk: _pk, sk: _sk, gsi2pk: _p, gsi2sk: _s, ...message } = item;
  return message as OperatorMessage;
}

export function operatorMessageDetails(message: OperatorMessage) {
  return { ...message, acknowledgedAt: message.acknowledgedAt ?? null, acknowledgedBy: message.acknowledgedBy ?? null };
}

/** The Put of a new message, as a transaction item would carry it. */
export function operatorMessagePut(tableName: string, message: OperatorMessage) {
  return {
    TableName: tableName,
    Item: { ...message, pk: messagePk(message.id), sk: MESSAGE_SK, gsi2pk: ALL_MESSAGES, gsi2sk: `${message.createdAt}#${message.id}` },
    ConditionExpression: 'attribute_not_exists(pk)',
  };
}

export async function storeOperatorMessage(deps: Deps, channel: Channel, keyId: string, message: NotificationMessage): Promise<void> {
  const stored: OperatorMessage = {
    id: message.id,
    channelId: channel.id,
    channelName: channel.name,
    keyId,
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

export async function listOperatorMessages(deps: Deps, input: OperatorMessagesInput) {
  const filter = input.acknowledged === undefined ? undefined : input.acknowledged === 'true' ? 'attribute_exists(acknowledgedAt)' : 'attribute_not_exists(acknowledgedAt)';
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.tableName,
      IndexName: 'all',
      KeyConditionExpression: 'gsi2pk = :p',
      ExpressionAttributeValues: { ':p': ALL_MESSAGES },
      ...(filter === undefined ? {} : { FilterExpression: filter }),
      ScanIndexForward: false,
      Limit: input.limit,
      ExclusiveStartKey: decodeCursor(input.cursor, ALL_MESSAGES),
    }),
  );
  return { items: (page.Items ?? []).map(fromItem).map(operatorMessageDetails), nextCursor: encodeCursor(page.LastEvaluatedKey) };
}

/**
 * Marks a message acknowledged; acknowledging it again keeps the first acknowledgment. A one-item
 * transaction, so an audit entry can join it.
 */
export async function acknowledgeOperatorMessage(deps: Deps, principal: Principal, id: string) {
  const by: Actor = principal.keyId === undefined ? { owner: principal.owner } : { owner: principal.owner, keyId: principal.keyId };
  const audit = changeEntry(deps, { actor: by, request: principal.request }, 'operator-message.acknowledge', {
    target: { type: 'operator-message', id },
    details: {},
  });
  try {
    await deps.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: deps.tableName,
              Key: { pk: messagePk(id), sk: MESSAGE_SK },
              UpdateExpression: 'SET acknowledgedAt = :now, acknowledgedBy = :by',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(acknowledgedAt)',
              ExpressionAttributeValues: { ':now': deps.clock().toISOString(), ':by': by },
            },
          },
          auditEntryPut(deps, audit),
        ],
      }),
    );
    changeCommitted(audit);
  } catch (error) {
    if (!conditionFailedAt(error, 0)) throw error;
  }
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: { pk: messagePk(id), sk: MESSAGE_SK }, ConsistentRead: true }));
  if (!Item) throw new NotFoundError(`no operator message with id ${id}`);
  return operatorMessageDetails(fromItem(Item));
}
