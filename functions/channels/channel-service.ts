import { randomBytes } from 'node:crypto';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import { actorOf, type Principal } from '../permissions/principal.js';
import type { Deps } from '../runtime/deps.js';
import { newChannelId } from '../shared/ids.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../shared/errors.js';
import { type Channel, findChannel, insertChannel, isAdminChannel, queryChannels, removeChannel } from './channel-store.js';
import { listedOwner, mayAccess } from '../permissions/ownership.js';
import type { CreateChannelInput, ListChannelsInput } from './schemas.js';
import { checkWebhookUrl } from './webhook-url.js';


/** What the API shows of a channel: never the webhook signing secret (only the create response has it). */
export function channelDetails(channel: Channel) {
  const base = {
    id: channel.id,
    type: channel.type,
    name: channel.name,
    owner: channel.owner ?? null,
    adminChannel: isAdminChannel(channel),
    createdAt: channel.createdAt,
    createdBy: channel.createdBy,
  };
  if (channel.type === 'email') return { ...base, addresses: channel.addresses };
  if (channel.type === 'webhook') return { ...base, url: channel.url };
  return base;
}
export type ChannelDetails = ReturnType<typeof channelDetails>;

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function isDefaultChannelName(deps: Deps, name: string): boolean {
  const defaultName = deps.config.notifications.defaultChannel;
  return defaultName !== null && defaultName.toLowerCase() === name.toLowerCase();
}

/**
 * Creates a channel of the caller's owner, or (admins only) of the owner named in the body, as
 * for keys. An admin's channel for its own owner is an admin channel (channel-store.ts). The
 * deployment's default channel name is an admin channel's only: every owner's default reminders
 * go to the channel of that name, so nobody else may take it.
 */
export async function createChannel(deps: Deps, principal: Principal, input: CreateChannelInput): Promise<{ details: ChannelDetails; signingSecret?: string }> {
  const owner = input.owner ?? principal.owner;
  if (!mayAccess(principal, owner)) throw new ForbiddenError(`you may create channels only for your own owner "${principal.owner}"`);
  const adminChannel = principal.expanded.admin && owner === principal.owner;
  if (isDefaultChannelName(deps, input.name) && !adminChannel) {
    if (!principal.expanded.admin) {
      throw new ForbiddenError(`"${input.name}" is the name of the deployment's default channel, where every owner's default reminders go: only an admin may create it`);
    }
    throw new ValidationError(`"${input.name}" is the name of the deployment's default channel: it must be an admin channel, so create it without "owner"`, 'invalid_channel');
  }
  const base = {
    id: newChannelId(),
    name: input.name,
    owner,
    ...(adminChannel ? { adminChannel: true as const } : {}),
    createdAt: deps.clock().toISOString(),
    createdBy: actorOf(principal),
  };
  let channel: Channel;
  let signingSecret: string | undefined;
  if (input.type === 'email') {
    const addresses = [...new Set(input.addresses.map((a) => a.toLowerCase()))];
    const max = deps.config.notifications.maxEmailAddresses;
    if (addresses.length > max) throw new ValidationError(`an email channel has at most ${max} addresses; got ${addresses.length}`, 'too_many_addresses');
    channel = { ...base, type: 'email', addresses };
  } else if (input.type === 'webhook') {
    const url = checkWebhookUrl(deps.notifications ?? {}, input.url);
    if (!deps.webhookSecrets) throw new Error('this function cannot seal webhook secrets (deps.webhookSecrets): its route contract must say webhookSecrets: seal');
    signingSecret = newSigningSecret();
    channel = { ...base, type: 'webhook', url, sealedSecret: await deps.webhookSecrets.seal(signingSecret, { channelId: base.id }) };
  } else {
    channel = { ...base, type: 'operator' };
  }
  const audit = changeEntry(deps, { actor: actorOf(principal), request: principal.request }, 'channel.create', {
    target: { type: 'channel', id: channel.id },
    details: auditedChannel(channel),
  });
  if ((await insertChannel(deps, channel, auditEntryPut(deps, audit))) === 'name_taken') {
    throw new ConflictError(
      adminChannel ? `an admin channel named "${input.name}" already exists` : `owner "${owner}" already has a channel named "${input.name}"`,
      'name_taken',
    );
  }
  changeCommitted(audit);
  return signingSecret === undefined ? { details: channelDetails(channel) } : { details: channelDetails(channel), signingSecret };
}

/** Reads a channel the principal may see. Channels of other owners look absent: no probing for ids. */
async function loadManagedChannel(deps: Deps, principal: Principal, id: string): Promise<Channel> {
  const channel = await findChannel(deps, id);
  if (!channel || !mayAccess(principal, channel.owner)) throw new NotFoundError(`no channel with id ${id}`);
  return channel;
}

export async function getChannel(deps: Deps, principal: Principal, id: string): Promise<ChannelDetails> {
  return channelDetails(await loadManagedChannel(deps, principal, id));
}

export async function listChannels(deps: Deps, principal: Principal, input: ListChannelsInput) {
  const owner = listedOwner(principal, input.owner, 'channels');
  const page = await queryChannels(deps, { owner, limit: input.limit, cursor: input.cursor });
  return { items: page.items.map(channelDetails), nextCursor: page.nextCursor };
}

/**
 * Deletes a channel. Keys whose notification names it keep it: when such a notification fires,
 * the notifier records it as dropped (visible in the key's details) instead of sending. Other
 * owners' notifications may go to an admin channel (the default channel among them), so only an
 * admin deletes one.
 */
export async function deleteChannel(deps: Deps, principal: Principal, id: string): Promise<void> {
  const channel = await loadManagedChannel(deps, principal, id);
  if (isAdminChannel(channel) && !principal.expanded.admin) {
    throw new ForbiddenError(`channel ${id} is an admin channel (other owners' key notifications may go to it): only an admin may delete it`);
  }
  const audit = changeEntry(deps, { actor: actorOf(principal), request: principal.request }, 'channel.delete', {
    target: { type: 'channel', id: channel.id },
    details: auditedChannel(channel),
  });
  if (!(await removeChannel(deps, channel, auditEntryPut(deps, audit)))) throw new NotFoundError(`no channel with id ${id}`);
  changeCommitted(audit);
}

/**
 * What the audit log keeps of a channel: never the signing secret, and of a webhook only its
 * origin (some webhook URLs carry a token in their path).
 */
function auditedChannel(channel: Channel): Record<string, unknown> {
  const base = { name: channel.name, type: channel.type, owner: channel.owner ?? null, adminChannel: isAdminChannel(channel) };
  if (channel.type === 'email') return { ...base, addresses: channel.addresses };
  if (channel.type === 'webhook') return { ...base, urlOrigin: new URL(channel.url).origin };
  return base;
}
