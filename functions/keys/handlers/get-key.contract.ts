import { defineContract } from '../../contract/route-contract.js';
import { keyDetailsWithUsageSchema } from '../key-responses.js';
import { keyIdPathSchema } from '../schemas.js';
import { authentication, usageReading } from '../../contract/table-access.js';

export const getKeyContract = defineContract({
  id: 'GetKey',
  method: 'GET',
  path: '/v1/keys/{id}',
  entry: 'functions/keys/handlers/get-key.ts',
  permission: 'keys:read',
  tableAccess: [...authentication, usageReading],
  summary: 'Key details, with effective expiry, status and the last 24 hours\' usage',
  request: { path: keyIdPathSchema },
  responses: { 200: { description: 'Key details', schema: keyDetailsWithUsageSchema } },
  errors: [400, 404],
});
