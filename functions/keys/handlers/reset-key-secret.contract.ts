import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { issuedKeySchema } from '../key-responses.js';
import { keyIdPathSchema, resetKeyBodySchema } from '../schemas.js';
import { appendAudit, authentication, partitions, quotaReading } from '../../contract/table-access.js';

export const resetKeySecretContract = defineContract({
  id: 'ResetKeySecret',
  method: 'POST',
  path: '/v1/keys/{id}/reset',
  entry: 'functions/keys/handlers/reset-key-secret.ts',
  permission: 'keys:write',
  tableAccess: [...authentication, { actions: ['PutItem'], partitions: [partitions.key] }, appendAudit, quotaReading],
  tokens: 'signing-keys',
  summary: 'New secret, shown once; the old one stops working (after an optional grace period)',
  request: { path: keyIdPathSchema, body: resetKeyBodySchema },
  responses: { 200: { description: 'The key with its new key string (shown this once)', schema: issuedKeySchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
