import { defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';
import { channelIdPathSchema } from '../schemas.js';
import { ownerDefaultSchema } from './set-default-channel.contract.js';

export const unsetDefaultChannelContract = defineContract({
  id: 'UnsetDefaultChannel',
  method: 'DELETE',
  path: '/v1/channels/{id}/default',
  entry: 'functions/channels/handlers/unset-default-channel.ts',
  permission: 'channels:write',
  tableAccess: [
    ...authentication,
    { actions: ['GetItem'], partitions: [partitions.channel] },
    { actions: ['DeleteItem'], partitions: [partitions.ownerDefaultChannel] },
    appendAudit,
  ],
  summary: "Stop a channel being its owner's default channel (the owner's keys' default reminders go to the admin channel again)",
  request: { path: channelIdPathSchema },
  responses: { 200: { description: 'The owner now has no default channel', schema: ownerDefaultSchema } },
  errors: [400, 404, 409],
});
