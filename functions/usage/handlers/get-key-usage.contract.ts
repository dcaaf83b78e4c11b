import { defineContract } from '../../contract/route-contract.js';
import { authentication, usageReading } from '../../contract/table-access.js';
import { keyIdPathSchema } from '../../keys/schemas.js';
import { keyUsageQuerySchema } from '../schemas.js';
import { keyUsageSchema } from '../usage-responses.js';

export const getKeyUsageContract = defineContract({
  id: 'GetKeyUsage',
  method: 'GET',
  path: '/v1/keys/{id}/usage',
  entry: 'functions/usage/handlers/get-key-usage.ts',
  permission: 'keys:read',
  tableAccess: [...authentication, usageReading],
  summary: 'Uses of a key by minute or hour, by outcome (allowed, rate-limited, refused)',
  request: { path: keyIdPathSchema, query: keyUsageQuerySchema },
  responses: { 200: { description: 'The key\'s usage counts over the span', schema: keyUsageSchema } },
  errors: [400, 404],
});
