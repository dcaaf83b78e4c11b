import { defineContract } from '../../contract/route-contract.js';
import { keyPageSchema } from '../key-responses.js';
import { listKeysQuerySchema } from '../schemas.js';
import { authentication, keyListing, quotaReading } from '../../contract/table-access.js';

export const listKeysContract = defineContract({
  id: 'ListKeys',
  method: 'GET',
  path: '/v1/keys',
  entry: 'functions/keys/handlers/list-keys.ts',
  permission: 'keys:read',
  tableAccess: [...authentication, ...keyListing, quotaReading],
  summary: 'List and search keys: by owner, status, tag, name prefix, expiring before, unused since',
  request: { query: listKeysQuerySchema },
  responses: {
    200: {
      description:
        'Keys, newest first (by name for a namePrefix without owner). Served by the key indexes, never a scan: a page reads a bounded number ' +
        'of index entries, so it may hold fewer than `limit` keys, or none, and still carry a nextCursor; follow it until it is null.',
      schema: keyPageSchema,
    },
  },
  errors: [400],
});
