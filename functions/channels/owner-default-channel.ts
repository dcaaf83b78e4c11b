import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { mayAccess } from '../permissions/ownership.js';
import { actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { conditionFailedAt } from '../shared/dynamodb.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import { type Channel, findChannel } from './channel-store.js';

/*
 * An owner's default channel (issue 14, item 8, GitLab-style): the deployment's default reminders
 * of that owner's keys go to it (functions/keys/key-reminders.ts), instead of (or, when the
 * deployment sets `notifications.defaultsAlsoToAdminChannel`, as well as) the admin channel.
 *
 *   pointer  pk OWNERDEFAULTCHANNEL#<owner>  sk DEFAULT  { channelId, setAt, setBy }
 *
 * One item per owner, so an owner has at most one default; setting another replaces it. It is
 * written in one transaction with its audit entry. The channel is not changed, so deleting a
 * channel leaves the pointer behind: a pointer whose channel is gone (or no longer the owner's)
 * counts as no default when reminders are worked out.
 */
const pointerKey = (owner: string) => ({ pk: `OWNERDEFAULTCHANNEL#${owner}`, sk: 'DEFAULT' });

/** The owner's default channel, if it is set and its channel still exists and is the owner's. */
export async function findOwnerDefaultChannel(deps: Deps, owner: string): Promise<Channel | undefined> {
  const { Item } = await deps.ddb.send(new GetCommand({ TableName: deps.tableName, Key: pointerKey(owner), ConsistentRead: true }));
  const channel = typeof Item?.channelId === 'string' ? await findChannel(deps, Item.channelId) : undefined;
  return channel && channel.owner === owner ? channel : undefined;
}

async function loadOwnersChannel(deps: Deps, principal: Principal, id: string): Promise<Channel & { owner: string }> {
  const channel = await findChannel(deps, id);
  if (!channel || !mayAccess(principal, channel.owner)) throw new NotFoundError(`no channel with id ${id}`);
  if (channel.owner === undefined) {
    throw new ValidationError(
      `channel ${id} has no owner (it predates owners): create a channel for the owner and make that one the default`,
      'channel_not_allowed',
    );
  }
  return channel as Channel & { owner: string };
}

export interface OwnerDefault {
  owner: string;
  channelId: string | null;
}

/** Makes the channel its owner's default channel (replacing any other). */
export async function setOwnerDefaultChannel(deps: Deps, principal: Principal, id: string): Promise<OwnerDefault> {
  const channel = await loadOwnersChannel(deps, principal, id);
  const now = deps.clock().toISOString();
  const audit = changeEntry(deps, { actor: actorOf(principal), request: principal.request }, 'channel.default', {
    target: { type: 'channel', id },
    details: { owner: channel.owner, default: true },
  });
  await deps.ddb.send(
    new TransactWriteCommand({
      TransactItems: [
        { Put: { TableName: deps.tableName, Item: { ...pointerKey(channel.owner), channelId: id, setAt: now, setBy: actorOf(principal) } } },
        auditEntryPut(deps, audit),
      ],
    }),
  );
  changeCommitted(audit);
  return { owner: channel.owner, channelId: id };
}

/** Clears the owner's default channel, if it is this channel (409 otherwise: nothing to clear). */
export async function unsetOwnerDefaultChannel(deps: Deps, principal: Principal, id: string): Promise<OwnerDefault> {
  const channel = await loadOwnersChannel(deps, principal, id);
  const audit = changeEntry(deps, { actor: actorOf(principal), request: principal.request }, 'channel.default', {
    target: { type: 'channel', id },
    details: { owner: channel.owner, default: false },
  });
  try {
    await deps.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: deps.tableName,
              Key: pointerKey(channel.owner),
              ConditionExpression: 'channelId = :id',
              ExpressionAttributeValues: { ':id': id },
            },
          },
          auditEntryPut(deps, audit),
        ],
      }),
    );
  } catch (error) {
    if (conditionFailedAt(error, 0)) {
      throw new ConflictError(`channel ${id} is not the default channel of owner "${channel.owner}"`, 'not_default');
    }
    throw error;
  }
  changeCommitted(audit);
  return { owner: channel.owner, channelId: null };
}
