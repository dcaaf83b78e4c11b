import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { issuedKeySchema } from '../key-responses.js';
import { createKeyBodySchema } from '../schemas.js';
import { authentication, keyCreation } from '../../contract/table-access.js';

export const createKeyContract = defineContract({
  id: 'CreateKey',
  method: 'POST',
  path: '/v1/keys',
  entry: 'functions/keys/handlers/create-key.ts',
  permission: 'keys:write',
  tableAccess: [...authentication, ...keyCreation],
  // A JWT-format key is signed with the token signing key.
  tokens: 'signing-keys',
  summary: 'Create a key; the key string is shown once',
  request: { body: createKeyBodySchema },
  responses: {
    201: { description: 'The new key, with its key string (shown this once)', schema: issuedKeySchema, headers: { location: 'The key' } },
  },
  errors: [...BODY_ERRORS, 409],
});
