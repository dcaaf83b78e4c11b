import * as z from 'zod';
import { defineContract } from '../../contract/route-contract.js';
import { introspectionSchema } from '../token-responses.js';
import { authentication } from '../../contract/table-access.js';

/** RFC 7662 §2.1. The hint is accepted and not needed: keygate issues access tokens only. */
export const introspectionRequestSchema = z.object({
  token: z.string({ error: 'token is required' }),
  token_type_hint: z.string().optional(),
});

export const introspectTokenContract = defineContract({
  id: 'IntrospectToken',
  method: 'POST',
  path: '/oauth/introspect',
  entry: 'functions/tokens/handlers/introspect-token.ts',
  permission: 'tokens:read',
  tableAccess: authentication,
  tokens: 'signing-keys',
  throttleClass: 'integration',
  summary: 'RFC 7662 token introspection: active only while the token and its key are both valid',
  style: 'oauth',
  request: { form: introspectionRequestSchema },
  responses: { 200: { description: 'RFC 7662 introspection response', schema: introspectionSchema } },
  errors: [400],
});
