import { BODY_ERRORS, defineContract } from '../../contract/route-contract.js';
import { verificationSchema } from '../key-responses.js';
import { verifyKeyBodySchema } from '../schemas.js';
import { authentication, partitions } from '../../contract/table-access.js';

export const verifyKeyContract = defineContract({
  id: 'VerifyKey',
  method: 'POST',
  path: '/v1/keys/verify',
  entry: 'functions/keys/handlers/verify-key.ts',
  // The calling service authenticates with its own key. A public verify endpoint would be an
  // oracle that tells anyone holding a leaked string whether it works and what it may do,
  // unseen by the APIs it protects, and HTTP API throttling is per route, not per caller, so a
  // public route's limit is one bucket that anybody can drain for every legitimate service.
  permission: 'key-verification:read',
  tableAccess: [...authentication, { actions: ['BatchGetItem'], partitions: [partitions.key] }],
  throttleClass: 'integration',
  summary: 'Verify a key a service was given: valid or not (with the reason), its owner and permissions',
  request: { body: verifyKeyBodySchema },
  responses: { 200: { description: 'Whether the presented key works (and why not), and what it may do', schema: verificationSchema } },
  errors: [...BODY_ERRORS],
});
