import { defineContract } from '../../contract/route-contract.js';
import { operatorMessagePageSchema } from '../channel-responses.js';
import { operatorMessagesQuerySchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const listOperatorMessagesContract = defineContract({
  id: 'ListOperatorMessages',
  method: 'GET',
  path: '/v1/operator-messages',
  entry: 'functions/channels/handlers/list-operator-messages.ts',
  permission: 'operator-messages:read',
  tableAccess: [...authentication, { actions: ['Query'], index: 'byOwner', partitions: [partitions.messagesOfOwner] }, { actions: ['Query'], index: 'all', partitions: [partitions.allMessages] }],
  summary: "Messages delivered to operator channels about keys of the caller's owner (admins: every owner's), newest first",
  request: { query: operatorMessagesQuerySchema },
  responses: { 200: { description: 'Operator messages, newest first', schema: operatorMessagePageSchema } },
  errors: [400],
});
