import * as z from 'zod';
import { defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';
import { channelIdPathSchema } from '../schemas.js';

export const ownerDefaultSchema = z
  .strictObject({
    owner: z.string(),
    channelId: z.string().nullable().meta({ description: "The owner's default channel; null once cleared" }),
  })
  .meta({ id: 'OwnerDefaultChannel' });

export const setDefaultChannelContract = defineContract({
  id: 'SetDefaultChannel',
  method: 'POST',
  path: '/v1/channels/{id}/default',
  entry: 'functions/channels/handlers/set-default-channel.ts',
  permission: 'channels:write',
  tableAccess: [
    ...authentication,
    { actions: ['GetItem'], partitions: [partitions.channel] },
    { actions: ['PutItem'], partitions: [partitions.ownerDefaultChannel] },
    appendAudit,
  ],
  summary: "Make a channel its owner's default channel: the default expiry reminders of the owner's keys go to it",
  request: { path: channelIdPathSchema },
  responses: { 200: { description: "The owner's default channel", schema: ownerDefaultSchema } },
  errors: [400, 404],
});
