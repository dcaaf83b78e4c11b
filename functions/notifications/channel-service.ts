import { randomBytes } from 'node:crypto';
import { changeCommitted, changeEntry } from '../audit/audit-service.js';
import { auditEntryPut } from '../audit/audit-store.js';
import type { Actor } from '../keys/key-model.js';
import { newKeyId } from '../keys/key-string.js';
import type { Principal } from '../keys/key-service.js';
import type { Deps } from '../shared/deps.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import { type Channel, findChannel, insertChannel, queryChannels, removeChannel } from './channel-store.js';
import type { CreateChannelInput, PageInput } from './schemas.js';
import { checkWebhookUrl } from './webhook-target.js';

function actorOf(principal: Principal): Actor {
  return principal.keyId === undefined ? { owner: principal.owner } : { owner: principal.owner, keyId: principal.keyId };
}

/** What the API shows of a channel: never the webhook signing secret (only the create response has it). */
export function channelDetails(channel: Channel) {
  const base = { id: channel.id, type: channel.type, name: channel.name, createdAt: channel.createdAt, createdBy: channel.createdBy };
  if (channel.type === 'email') return { ...base, addresses: channel.addresses };
  if (channel.type === 'webhook') return { ...base, url: channel.url };
  return base;
}
export type ChannelDetails = ReturnType<typeof channelDetails>;

/** A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64. */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

export async function createChannel(deps: Deps, principal: Principal, input: CreateChannelInput): Promise<{ details: ChannelDetails; signingSecret?: string }> {
  const base = { id: `ch_${newKeyId()}`, name: input.name, createdAt: deps.clock().toISOString(), createdBy: actorOf(principal) };
  let channel: Channel;
  if (input.type === 'email') {
    const addresses = [...new Set(input.addresses.map((a) => a.toLowerCase()))];
    const max = deps.config.notifications.maxEmailAddresses;
    if (addresses.length > max) throw new ValidationError(`an email channel has at most ${max} addresses; got ${addresses.length}`, 'too_many_addresses');
    channel = { ...base, type: 'email', addresses };
  } else if (input.type === 'webhook') {
    channel = { ...base, type: 'webhook', url: checkWebhookUrl(deps.notifications ?? {}, input.url), signingSecret: newSigningSecret() };
  } else {
    channel = { ...base, type: 'operator' };
  }
  const audit = changeEntry(deps, { actor: actorOf(principal), request: principal.request }, 'channel.create', {
    target: { type: 'channel', id: channel.id },
    details: auditedChannel(channel),
  });
  if ((await insertChannel(deps, channel, auditEntryPut(deps, audit))) === 'name_taken') {
    throw new ConflictError(`a channel named "${input.name}" already exists`, 'name_taken');
  }
  changeCommitted(audit);
  return channel.type === 'webhook' ? { details: channelDetails(channel), signingSecret: channel.signingSecret } : { details: channelDetails(channel) };
}

export async function getChannel(deps: Deps, id: string): Promise<ChannelDetails> {
  const channel = await findChannel(deps, id);
  if (!channel) throw new NotFoundError(`no channel with id ${id}`);
  return channelDetails(channel);
}

export async function listChannels(deps: Deps, input: PageInput) {
  const page = await queryChannels(deps, input.limit, input.cursor);
  return { items: page.items.map(channelDetails), nextCursor: page.nextCursor };
}

/**
 * Deletes a channel. Keys whose notification names it keep it: when such a notification fires,
 * the notifier records it as dropped (visible in the key's details) instead of sending.
 */
export async function deleteChannel(deps: Deps, principal: Principal, id: string): Promise<void> {
  const channel = await findChannel(deps, id);
  if (!channel) throw new NotFoundError(`no channel with id ${id}`);
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
  const base = { name: channel.name, type: channel.type };
  if (channel.type === 'email') return { ...base, addresses: channel.addresses };
  if (channel.type === 'webhook') return { ...base, urlOrigin: new URL(channel.url).origin };
  return base;
}
