import * as z from 'zod';

/** One schema per request shape of the channel, notification and operator-message routes. */

export const CHANNEL_ID = /^ch_[0-9A-Za-z]{22}$/;
export const OPERATOR_MESSAGE_ID = /^msg_[0-9A-Za-z_-]{16}$/;

const channelName = z
  .string()
  .trim()
  .min(1, 'name must not be empty')
  .max(64, 'name must be at most 64 characters')
  .regex(/^[^\p{C}]+$/u, 'name must not contain control characters');

/** The hard ceiling; the deployment's `notifications.maxEmailAddresses` is usually lower. */
const MAX_ADDRESSES = 50;

export const createChannelBodySchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('email'),
    name: channelName,
    addresses: z.array(z.email('addresses must be email addresses').max(254)).min(1, 'give at least one address').max(MAX_ADDRESSES, `at most ${MAX_ADDRESSES} addresses`),
  }),
  z.strictObject({
    type: z.literal('webhook'),
    name: channelName,
    url: z.url({ protocol: /^https?$/, error: 'url must be an https URL' }).max(2048),
  }),
  z.strictObject({ type: z.literal('operator'), name: channelName }),
]);
export type CreateChannelInput = z.infer<typeof createChannelBodySchema>;

export const channelIdPathSchema = z.strictObject({
  id: z.string().regex(CHANNEL_ID, 'channel id must be the id POST /v1/channels returned (ch_...)'),
});

export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(2048).optional(),
});
export type PageInput = z.infer<typeof pageQuerySchema>;

export const operatorMessagesQuerySchema = pageQuerySchema.extend({
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
