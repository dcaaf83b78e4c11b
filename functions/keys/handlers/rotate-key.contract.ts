import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { appendAudit, authentication, notificationChannels, partitions, quotaReading } from '../../contract/table-access.js';
import { issuedKeySchema } from '../key-responses.js';
import { keyIdPathSchema, rotateKeyBodySchema } from '../schemas.js';

export const rotateKeyContract = defineContract({
  id: 'RotateKey',
  method: 'POST',
  path: '/v1/keys/{id}/rotate',
  entry: 'functions/keys/handlers/rotate-key.ts',
  permission: 'keys:write',
  tableAccess: [
    ...authentication,
    quotaReading,
    // The old key's change (UpdateItem) and the successor (PutItem), in one transaction with the
    // name lock passing from one to the other and both audit entries.
    { actions: ['PutItem', 'UpdateItem'], partitions: [partitions.key] },
    { actions: ['PutItem'], partitions: [partitions.keyName] },
    notificationChannels,
    appendAudit,
  ],
  tokens: 'signing-keys',
  summary: 'Replace a key by a successor (same name, grants and settings; new id, secret and expiry); the old key ends at once or after an overlap',
  request: { path: keyIdPathSchema, body: rotateKeyBodySchema },
  responses: { 201: { description: 'The successor, with its key string (shown this once) and predecessorId', schema: issuedKeySchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
