import { defineContract } from '../../contract/route-contract.js';
import { keyIdPathSchema } from '../schemas.js';
import { appendAudit, authentication, partitions } from '../../contract/table-access.js';

export const deleteKeyContract = defineContract({
  id: 'DeleteKey',
  method: 'DELETE',
  path: '/v1/keys/{id}',
  entry: 'functions/keys/handlers/delete-key.ts',
  permission: 'keys:write',
  tableAccess: [
    ...authentication,
    { actions: ['PutItem'], partitions: [partitions.key] },
    // The revoked key gives up its name.
    { actions: ['DeleteItem'], partitions: [partitions.keyName] },
    appendAudit,
  ],
  summary: 'Revoke a key for good',
  request: { path: keyIdPathSchema },
  responses: { 204: { description: 'Revoked' } },
  errors: [400, 404, 409],
});
