import { defineContract } from '../../contract/route-contract.js';
import { channelPageSchema } from '../channel-responses.js';
import { listChannelsQuerySchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const listChannelsContract = defineContract({
  id: 'ListChannels',
  method: 'GET',
  path: '/v1/channels',
  entry: 'functions/channels/handlers/list-channels.ts',
  permission: 'channels:read',
  tableAccess: [...authentication, { actions: ['Query'], index: 'byOwner', partitions: [partitions.channelsOfOwner] }, { actions: ['Query'], index: 'all', partitions: [partitions.allChannels] }],
  summary: "List alert channels of the caller's owner (admins: every owner's, or one by ?owner=), newest first",
  request: { query: listChannelsQuerySchema },
  responses: { 200: { description: 'Channels, newest first', schema: channelPageSchema } },
  errors: [400],
});
