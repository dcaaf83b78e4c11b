import { defineContract } from '../../contract/route-contract.js';
import { channelSchema } from '../channel-responses.js';
import { channelIdPathSchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const getChannelContract = defineContract({
  id: 'GetChannel',
  method: 'GET',
  path: '/v1/channels/{id}',
  entry: 'functions/channels/handlers/get-channel.ts',
  permission: 'channels:read',
  tableAccess: [...authentication, { actions: ['GetItem'], partitions: [partitions.channel] }],
  summary: 'Alert channel details (never its signing secret)',
  request: { path: channelIdPathSchema },
  responses: { 200: { description: 'A channel', schema: channelSchema } },
  errors: [400, 404],
});
