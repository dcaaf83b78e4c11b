import { defineContract } from '../../contract/route-contract.js';
import { authorizationServerMetadataSchema } from '../token-responses.js';

export const getAuthorizationServerMetadataContract = defineContract({
  id: 'GetAuthorizationServerMetadata',
  method: 'GET',
  path: '/.well-known/oauth-authorization-server',
  entry: 'functions/tokens/handlers/get-authorization-server-metadata.ts',
  permission: 'public',
  tableAccess: [],
  tokens: 'issuer',
  throttleClass: 'integration',
  summary: 'RFC 8414 authorization server metadata',
  style: 'oauth',
  responses: { 200: { description: 'RFC 8414 metadata', schema: authorizationServerMetadataSchema } },
});
