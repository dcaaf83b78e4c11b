import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { keyDetailsSchema } from '../key-responses.js';
import { keyIdPathSchema, updateKeyBodySchema } from '../schemas.js';

export const updateKeyContract = defineContract({
  id: 'UpdateKey',
  method: 'PATCH',
  path: '/v1/keys/{id}',
  entry: 'functions/keys/handlers/update-key.ts',
  permission: 'keys:write',
  tableAccess: 'write',
  summary: 'Edit name, description, grants; shorten expiry',
  request: { path: keyIdPathSchema, body: updateKeyBodySchema },
  responses: { 200: { description: 'The edited key', schema: keyDetailsSchema } },
  errors: [...BODY_ERRORS, 404, 409],
});
