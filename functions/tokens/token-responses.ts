import * as z from 'zod';
import { accessTokenClaimsSchema } from './access-token.js';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * What these routes answer, as zod schemas, for their contracts and the OpenAPI document. Each
 * mirrors a domain function's output. Objects are strict, so test/integration/openapi.test.ts,
 * which validates real responses against the document, fails as soon as a response gains, loses
 * or changes a field that is not described here.
 */
export const tokenResponseSchema = lazySchema(() =>
  z.strictObject({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    scope: z.string(),
  }),
);

export const introspectionSchema = lazySchema(() => {
  const { kg_sfp: _fingerprint, ...publicClaims } = accessTokenClaimsSchema.unwrap().shape;
  return z.union([
    z.strictObject({ active: z.literal(false) }),
    z.strictObject({ active: z.literal(true), token_type: z.literal('Bearer'), ...publicClaims }),
  ]);
});

export const jwksSchema = lazySchema(() =>
  z.strictObject({
    keys: z.array(z.looseObject({ kty: z.string(), kid: z.string(), alg: z.string(), use: z.literal('sig') })),
  }),
);

export const authorizationServerMetadataSchema = lazySchema(() =>
  z.strictObject({
    issuer: z.url(),
    token_endpoint: z.url(),
    jwks_uri: z.url(),
    introspection_endpoint: z.url(),
    grant_types_supported: z.array(z.string()),
    token_endpoint_auth_methods_supported: z.array(z.string()),
    response_types_supported: z.array(z.string()),
    scopes_supported: z.array(z.string()),
    subject_types_supported: z.array(z.string()),
  }),
);
