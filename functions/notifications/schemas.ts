import * as z from 'zod';
import { ownerSchema } from '../shared/owner-schema.js';
import { pageQuerySchema } from '../shared/page-query.js';
import { nameSchema } from '../shared/text-schemas.js';

/** One schema per request shape of the channel, notification and operator-message routes. */

export const CHANNEL_ID = /^ch_[0-9A-Za-z]{22}$/;
export const OPERATOR_MESSAGE_ID = /^msg_[0-9A-Za-z_-]{16}$/;

const channelName = nameSchema();

/** The hard ceiling; the deployment's `notifications.maxEmailAddresses` is usually lower. */
const MAX_ADDRESSES = 50;

/** Whose channel: absent, the caller's own owner; only admins may name another (as for keys). */
const channelOwner = ownerSchema.optional().meta({ description: "The channel's owner; only admins may give one other than their own" });

export const createChannelBodySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('email'),
    name: channelName,
    owner: channelOwner,
    addresses: z.array(z.email('addresses must be email addresses').max(254)).min(1, 'give at least one address').max(MAX_ADDRESSES, `at most ${MAX_ADDRESSES} addresses`),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    name: channelName,
    owner: channelOwner,
    url: z.url({ protocol: /^https?$/, error: 'url must be an https URL' }).max(2048),
  }),
  z.strictObject({ type: z.literal('operator'), name: channelName, owner: channelOwner }),
]);
export type CreateChannelInput = z.infer<typeof createChannelBodySchema>;

export const channelIdPathSchema = z.strictObject({
  id: z.string().regex(CHANNEL_ID, 'channel id must be the id POST /v1/channels returned (ch_...)'),
});


/** Listings by owner: non-admins see only their own owner's (and may name only it); admins all, or one owner's. */
const ownerFilter = ownerSchema.optional().meta({ description: "Only this owner's; non-admins may give only their own" });

export const listChannelsQuerySchema = pageQuerySchema.extend({ owner: ownerFilter });
export type ListChannelsInput = z.infer<typeof listChannelsQuerySchema>;

export const operatorMessagesQuerySchema = pageQuerySchema.extend({
  owner: ownerFilter,
  acknowledged: z.enum(['true', 'false']).optional(),
});
export type OperatorMessagesInput = z.infer<typeof operatorMessagesQuerySchema>;

export const operatorMessageIdPathSchema = z.strictObject({
  id: z.string().regex(OPERATOR_MESSAGE_ID, 'message id must be the id from GET /v1/operator-messages'),
});

/**
 * A key's notification, at create or PATCH: `at` is an ISO 8601 date-time, or a duration
 * before the key's fixed expiry (`P7D`). `null` cancels (and opts out of the deployment defaults).
 */
export const notificationInputSchema = z
  .strictObject({
    at: z.string().min(2).max(40),
    channelId: z.string().regex(CHANNEL_ID, 'channelId must be the id of a channel (GET /v1/channels lists them)'),
  })
  .nullable();
export type NotificationInput = z.infer<typeof notificationInputSchema>;
