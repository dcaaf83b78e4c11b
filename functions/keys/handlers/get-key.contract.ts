import { defineContract } from '../../contract/route-contract.js';
import { keyDetailsSchema } from '../key-responses.js';
import { keyIdPathSchema } from '../schemas.js';
import { authentication, quotaReading } from '../../contract/table-access.js';

export const getKeyContract = defineContract({
  id: 'GetKey',
  method: 'GET',
  path: '/v1/keys/{id}',
  entry: 'functions/keys/handlers/get-key.ts',
  permission: 'keys:read',
  tableAccess: [...authentication, quotaReading],
  summary: 'Key details, with effective expiry and status',
  request: { path: keyIdPathSchema },
  responses: { 200: { description: 'Key details', schema: keyDetailsSchema } },
  errors: [400, 404],
});
