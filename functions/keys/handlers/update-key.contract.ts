import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { keyDetailsSchema } from '../key-responses.js';
import { keyIdPathSchema, updateKeyBodySchema } from '../schemas.js';
import { appendAudit, authentication, notificationChannels, partitions, quotaReading } from '../../contract/table-access.js';

export const updateKeyContract = defineContract({
  id: 'UpdateKey',
  method: 'PATCH',
  path: '/v1/keys/{id}',
  entry: 'functions/keys/handlers/update-key.ts',
  permission: 'keys:write',
  tableAccess: [
    ...authentication,
    { actions: ['GetItem', 'PutItem'], partitions: [partitions.key] },
    // A rename moves the name lock; a lost name race reads its holder.
    { actions: ['GetItem', 'PutItem', 'DeleteItem'], partitions: [partitions.keyName] },
    notificationChannels,
    appendAudit,
    quotaReading,
  ],
  summary: 'Edit name, description, grants, limits; shorten expiry',
  request: { path: keyIdPathSchema, body: updateKeyBodySchema },
  responses: { 200: { description: 'The edited key', schema: keyDetailsSchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
