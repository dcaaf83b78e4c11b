import { defineContract } from '../../contract/route-contract.js';
import { channelIdPathSchema } from '../schemas.js';

export const deleteChannelContract = defineContract({
  id: 'DeleteChannel',
  method: 'DELETE',
  path: '/v1/channels/{id}',
  entry: 'functions/channels/handlers/delete-channel.ts',
  permission: 'channels:write',
  tableAccess: 'write',
  summary: 'Delete an alert channel (an admin channel: admins only); notifications still naming it are dropped when they fire',
  request: { path: channelIdPathSchema },
  responses: { 204: { description: 'Deleted' } },
  errors: [400, 404],
});
