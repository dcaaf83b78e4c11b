import { defineContract } from '../../contract/route-contract.js';
import { channelIdPathSchema } from '../schemas.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';

export const deleteChannelContract = defineContract({
  id: 'DeleteChannel',
  method: 'DELETE',
  path: '/v1/channels/{id}',
  entry: 'functions/channels/handlers/delete-channel.ts',
  permission: 'channels:write',
  tableAccess: [
    ...authentication,
    { actions: ['GetItem', 'DeleteItem'], partitions: [partitions.channel] },
    { actions: ['DeleteItem'], partitions: [partitions.ownerChannelName, partitions.adminChannelName] },
    appendAudit,
  ],
  summary: 'Delete an alert channel (an admin channel: admins only); notifications still naming it are dropped when they fire',
  request: { path: channelIdPathSchema },
  responses: { 204: { description: 'Deleted' } },
  errors: [400, 404],
});
