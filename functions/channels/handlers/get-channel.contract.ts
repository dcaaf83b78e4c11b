import { defineContract } from '../../contract/route-contract.js';
import { channelSchema } from '../channel-responses.js';
import { channelIdPathSchema } from '../schemas.js';

export const getChannelContract = defineContract({
  id: 'GetChannel',
  method: 'GET',
  path: '/v1/channels/{id}',
  entry: 'functions/channels/handlers/get-channel.ts',
  permission: 'channels:read',
  tableAccess: 'read',
  summary: 'Alert channel details (never its signing secret)',
  request: { path: channelIdPathSchema },
  responses: { 200: { description: 'A channel', schema: channelSchema } },
  errors: [400, 404],
});
