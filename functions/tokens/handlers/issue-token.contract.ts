import * as z from 'zod';
import { defineContract } from '../../contract/route-contract.js';
import { tokenResponseSchema } from '../token-responses.js';
import { authentication } from '../../contract/table-access.js';

/** RFC 6749 §4.4.2. Unknown parameters are ignored (§3.2); client_id/secret are read by clientAuthentication. */
export const tokenRequestSchema = z.object({
  grant_type: z.string({ error: 'grant_type is required (client_credentials)' }),
  scope: z.string().optional(),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export const issueTokenContract = defineContract({
  id: 'IssueToken',
  method: 'POST',
  path: '/oauth/token',
  entry: 'functions/tokens/handlers/issue-token.ts',
  // The client authenticates in the request (RFC 6749 §2.3), not with a bearer key.
  permission: 'public',
  tableAccess: authentication,
  tokens: 'signing-keys',
  throttleClass: 'integration',
  summary: 'OAuth 2.0 client credentials grant: a key id and key string for a short-lived JWT access token',
  style: 'oauth',
  request: { form: tokenRequestSchema },
  responses: { 200: { description: 'An access token (RFC 6749 §5.1)', schema: tokenResponseSchema } },
  errors: [400, 401],
  // The token endpoint takes client_secret_basic, or client_id and client_secret in the form (no scheme).
  security: [{ clientSecretBasic: [] }, {}],
});
