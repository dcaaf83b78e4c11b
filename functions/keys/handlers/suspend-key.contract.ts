import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, partitions, quotaReading } from '../../contract/table-access.js';
import { keyDetailsSchema } from '../key-responses.js';
import { keyIdPathSchema, keyStateBodySchema } from '../schemas.js';

export const suspendKeyContract = defineContract({
  id: 'SuspendKey',
  method: 'POST',
  path: '/v1/keys/{id}/suspend',
  entry: 'functions/keys/handlers/suspend-key.ts',
  permission: 'keys:write',
  tableAccess: [...authentication, { actions: ['PutItem'], partitions: [partitions.key] }, appendAudit, quotaReading],
  summary: 'Refuse a key everywhere until it is resumed (its expiry keeps running)',
  request: { path: keyIdPathSchema, body: keyStateBodySchema },
  responses: { 200: { description: 'The key, now suspended', schema: keyDetailsSchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
