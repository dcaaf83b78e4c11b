import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RouteContract } from '../contract/route-contract.js';
import type { Deps } from '../runtime/deps.js';
import { LimitRefusalError, UnavailableError } from '../shared/errors.js';
import { OAuthError, oauthErrorStatus } from '../tokens/oauth-errors.js';
import { logger } from '../observability/logger.js';
import { INTERNAL_ERROR_MESSAGE, json, limitHeaders, logUnhandledError } from './respond.js';
import type { HandleFn, Route } from './route-handler.js';

/**
 * The answers of the OAuth-style routes: JSON, errors in the RFC 6749 §5.2 shape, never cached but
 * for the public documents. Kept apart from oauth-handler.ts, which authenticates callers (and so
 * reads the table): the routes that only publish a document (the discovery metadata, the key
 * sets) are defined here with defineOAuthDocumentRoute, and their bundles carry nothing of the
 * table's (runtime/lambda-tableless.ts).
 */

/** Responses of the token and introspection endpoints: never cached (RFC 6749 §5.1). */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

export function oauthJson(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return json(statusCode, body, { ...NO_STORE, ...headers });
}

/** Public, cacheable documents (JWKS, metadata): verifiers may keep them for `maxAgeSeconds`. */
export function cacheableJson(body: unknown, maxAgeSeconds: number): APIGatewayProxyStructuredResultV2 {
  return json(200, body, { 'cache-control': `public, max-age=${maxAgeSeconds}` });
}

/**
 * How long a key set document may be cached: an empty one (no signing key written yet, right
 * after the first deploy) only briefly, so verifiers see the first key as soon as it exists.
 */
export const EMPTY_KEY_SET_MAX_AGE_SECONDS = 10;
export function keySetJson(jwks: { keys: readonly unknown[] }, maxAgeSeconds: number): APIGatewayProxyStructuredResultV2 {
  return cacheableJson(jwks, jwks.keys.length === 0 ? Math.min(maxAgeSeconds, EMPTY_KEY_SET_MAX_AGE_SECONDS) : maxAgeSeconds);
}

const CHALLENGE: Partial<Record<OAuthError['code'], string>> = {
  // RFC 6749 §5.2 asks for it when the client used Basic; HTTP (RFC 9110 §15.5.2) on every 401.
  invalid_client: 'Basic realm="keygate"',
  invalid_token: 'Bearer realm="keygate", error="invalid_token"',
  insufficient_scope: 'Bearer realm="keygate", error="insufficient_scope"',
};

export function oauthErrorResponse(error: unknown, requestId: string): APIGatewayProxyStructuredResultV2 {
  if (error instanceof OAuthError) {
    const challenge = CHALLENGE[error.code];
    return oauthJson(oauthErrorStatus[error.code], { error: error.code, error_description: error.message }, challenge ? { 'www-authenticate': challenge } : {});
  }
  if (error instanceof LimitRefusalError) {
    // A key over a rate limit or out of quota: 429 with the same headers as the other routes. RFC 6749
    // has no code for it; `rate_limited` and `quota_exhausted` are extension codes (§8.5).
    return oauthJson(429, { error: error.reason, error_description: error.message }, limitHeaders(error.state));
  }
  if (error instanceof UnavailableError) {
    // RFC 6749 §4.1.2.1's code for a server that cannot answer now; the same 503 and Retry-After as the other routes.
    logger.warn('unavailable: asked to retry', { requestId, error: error.message });
    return oauthJson(503, { error: 'temporarily_unavailable', error_description: error.message }, { 'retry-after': String(error.retryAfterSeconds) });
  }
  logUnhandledError(error, requestId);
  return oauthJson(500, { error: 'server_error', error_description: INTERNAL_ERROR_MESSAGE, request_id: requestId });
}

/** A route without parameters takes no body: one sent (`null`, `{}`, anything) is a 400, not ignored. */
export function noBody(event: APIGatewayProxyEventV2): ReadonlyMap<string, string> {
  if (event.body !== undefined && event.body !== null && event.body !== '') throw new OAuthError('invalid_request', 'this endpoint takes no request body');
  return new Map<string, string>();
}

/**
 * A public OAuth document route (discovery metadata, a key set): no caller, no body, the
 * document `run` builds, errors in the OAuth shape. Its contract declares no table access.
 */
export function defineOAuthDocumentRoute(contract: RouteContract, run: (deps: Deps) => Promise<APIGatewayProxyStructuredResultV2>): Route {
  if (contract.permission !== 'public' || contract.request !== undefined) {
    throw new Error(`route ${contract.id}: an OAuth document route is public and takes no request parameters`);
  }
  const handle: HandleFn = async (event, deps) => {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    try {
      noBody(event);
      return await run(deps);
    } catch (error) {
      return oauthErrorResponse(error, requestId);
    }
  };
  return { id: contract.id, contract, handle };
}
