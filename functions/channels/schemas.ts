import * as z from 'zod';
import { CHANNEL_ID, OPERATOR_MESSAGE_ID } from '../shared/ids.js';
import { ownerSchema } from '../shared/owner-schema.js';
import { pageQuerySchema } from '../shared/page-query.js';
import { nameSchema } from '../shared/text-schemas.js';
import { lazySchema, onFirstUse } from '../shared/on-first-use.js';

/** One schema per request shape of the channel and operator-message routes. */

/** Built on first use, as every schema here (lazySchema): each channel route's bundle imports them all. */
const channelName = onFirstUse(() => nameSchema());

/** The hard ceiling; the deployment's `notifications.maxEmailAddresses` is usually lower. */
const MAX_ADDRESSES = 50;

/** Whose channel: absent, the caller's own owner; only admins may name another (as for keys). */
const channelOwner = onFirstUse(() => ownerSchema.optional().meta({ description: "The channel's owner; only admins may give one other than their own" }));

export const createChannelBodySchema = lazySchema(() =>
  z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('email'),
      name: channelName(),
      owner: channelOwner(),
      addresses: z.array(z.email('addresses must be email addresses').max(254)).min(1, 'give at least one address').max(MAX_ADDRESSES, `at most ${MAX_ADDRESSES} addresses`),
    }),
    z.strictObject({
      type: z.literal('webhook'),
      name: channelName(),
      owner: channelOwner(),
      url: z.url({ protocol: /^https?$/, error: 'url must be an https URL' }).max(2048),
    }),
    z.strictObject({ type: z.literal('operator'), name: channelName(), owner: channelOwner() }),
  ]),
);
export type CreateChannelInput = z.infer<typeof createChannelBodySchema>;

export const channelIdPathSchema = lazySchema(() =>
  z.strictObject({
    id: z.string().regex(CHANNEL_ID, 'channel id must be the id POST /v1/channels returned (ch_...)'),
  }),
);


/** Listings by owner: non-admins see only their own owner's (and may name only it); admins all, or one owner's. */
const ownerFilter = onFirstUse(() => ownerSchema.optional().meta({ description: "Only this owner's; non-admins may give only their own" }));

export const listChannelsQuerySchema = lazySchema(() => pageQuerySchema.unwrap().extend({ owner: ownerFilter() }));
export type ListChannelsInput = z.infer<typeof listChannelsQuerySchema>;

export const operatorMessagesQuerySchema = lazySchema(() =>
  pageQuerySchema.unwrap().extend({
    owner: ownerFilter(),
    acknowledged: z.enum(['true', 'false']).optional(),
  }),
);
export type OperatorMessagesInput = z.infer<typeof operatorMessagesQuerySchema>;

export const operatorMessageIdPathSchema = lazySchema(() =>
  z.strictObject({
    id: z.string().regex(OPERATOR_MESSAGE_ID, 'message id must be the id from GET /v1/operator-messages'),
  }),
);
