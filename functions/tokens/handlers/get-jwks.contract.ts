import { defineContract } from '../../contract/route-contract.js';
import { jwksSchema } from '../token-responses.js';

export const getJwksContract = defineContract({
  id: 'GetJwks',
  method: 'GET',
  path: '/.well-known/jwks.json',
  entry: 'functions/tokens/handlers/get-jwks.ts',
  permission: 'public',
  tableAccess: [],
  tokens: 'signing-keys',
  throttleClass: 'integration',
  summary: 'Public keys that verify access tokens (JWKS)',
  style: 'oauth',
  responses: { 200: { description: 'JSON Web Key Set', schema: jwksSchema } },
});
