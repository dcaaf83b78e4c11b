import { defineContract } from '../../contract/route-contract.js';
import { KEY_JWKS_PATH } from '../../signing/key-jwt-trust.js';
import { jwksSchema } from '../token-responses.js';

export const getKeyJwksContract = defineContract({
  id: 'GetKeyJwks',
  method: 'GET',
  path: KEY_JWKS_PATH,
  entry: 'functions/tokens/handlers/get-key-jwks.ts',
  // Public keys only, like /.well-known/jwks.json: keygate's own functions and authorizers read it.
  permission: 'public',
  tableAccess: [],
  tokens: 'signing-keys',
  throttleClass: 'integration',
  summary: 'Public keys that verify JWT-format keys (never access tokens): signing keys, and retired ones while a key they signed can live',
  style: 'oauth',
  responses: {
    200: {
      description: 'JSON Web Key Set that verifies JWT-format keys (typ kg-key+jwt); never trust it for access tokens',
      schema: jwksSchema,
    },
  },
});
