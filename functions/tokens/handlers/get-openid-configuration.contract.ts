import { defineContract } from '../../contract/route-contract.js';
import { authorizationServerMetadataSchema } from '../token-responses.js';

export const getOpenIdConfigurationContract = defineContract({
  id: 'GetOpenIdConfiguration',
  method: 'GET',
  path: '/.well-known/openid-configuration',
  entry: 'functions/tokens/handlers/get-openid-configuration.ts',
  permission: 'public',
  tableAccess: [],
  tokens: 'issuer',
  throttleClass: 'integration',
  summary: 'The same metadata where OpenID-style discovery (and API Gateway JWT authorizers) look for it',
  style: 'oauth',
  responses: { 200: { description: 'RFC 8414 metadata', schema: authorizationServerMetadataSchema } },
});
