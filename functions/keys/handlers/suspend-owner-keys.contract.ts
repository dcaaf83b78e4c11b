import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, ownerKeys, partitions } from '../../contract/table-access.js';
import { ownerActionResultSchema } from '../key-responses.js';
import { keyStateBodySchema, ownerPathSchema } from '../schemas.js';

export const suspendOwnerKeysContract = defineContract({
  id: 'SuspendOwnerKeys',
  method: 'POST',
  path: '/v1/owners/{owner}/keys/suspend',
  entry: 'functions/keys/handlers/suspend-owner-keys.ts',
  permission: 'keys:write',
  tableAccess: [...authentication, ...ownerKeys, { actions: ['PutItem'], partitions: [partitions.key] }, appendAudit],
  summary: 'Suspend every active key of one owner (admins): one audit entry per key, a count in the answer',
  request: { path: ownerPathSchema, body: keyStateBodySchema },
  responses: { 200: { description: 'How many keys this call changed; complete false: call again to continue', schema: ownerActionResultSchema } },
  errors: [...BODY_ERRORS, 404],
});
