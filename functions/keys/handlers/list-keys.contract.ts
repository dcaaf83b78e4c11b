import { defineContract } from '../../contract/route-contract.js';
import { keyPageSchema } from '../key-responses.js';
import { listKeysQuerySchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const listKeysContract = defineContract({
  id: 'ListKeys',
  method: 'GET',
  path: '/v1/keys',
  entry: 'functions/keys/handlers/list-keys.ts',
  permission: 'keys:read',
  tableAccess: [...authentication, { actions: ['Query'], index: 'byOwner', partitions: [partitions.keysOfOwner] }, { actions: ['Query'], index: 'all', partitions: [partitions.allKeys] }],
  summary: 'List keys, newest first, filtered by owner and status',
  request: { query: listKeysQuerySchema },
  responses: { 200: { description: 'Keys, newest first', schema: keyPageSchema } },
  errors: [400],
});
