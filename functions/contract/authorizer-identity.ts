/**
 * Where a caller puts its keygate credential:
 *   `Authorization: Bearer <key or access token>`, or
 *   `x-api-key: <key>` (keys only: an access token belongs in Authorization, RFC 6750).
 * Which of the two a place accepts is its choice (the authorizer's is configured per API).
 * Plain data here, so that CDK, the local gateway and functions/access/ share it.
 */
export const credentialHeaders = ['authorization', 'x-api-key'] as const;
export type CredentialHeader = (typeof credentialHeaders)[number];

/**
 * The identity sources of a keygate authorizer: the CDK construct (infra/protected-api.ts) sets
 * them on AWS and the local gateway evaluates the same list. Plain data, no CDK: the local run
 * imports it.
 *
 * API Gateway caches a decision by these values and a simple response allows or denies whatever
 * else matches them, so they must hold every input of the decision: the credential header, the
 * route (`$context.routeKey`: a key allowed on GET /alerts is never let into POST /alerts from
 * the cache) and, where a route takes its instance from a path parameter, the path.
 */
const HEADER_SOURCE: Record<CredentialHeader, string> = {
  authorization: '$request.header.Authorization',
  'x-api-key': '$request.header.x-api-key',
};

export function identitySources(headers: readonly CredentialHeader[], cacheTtlSeconds: number, instanceFromPath: boolean): string[] {
  if (headers.length === 0) throw new Error('accept at least one credential header');
  if (cacheTtlSeconds === 0) {
    // Uncached, API Gateway needs none. It requires every listed source on every request, so
    // with two headers none is listed and the authorizer refuses a request that has neither
    // (a 403 then, where one listed header gives a 401 before the authorizer runs).
    return headers.length === 1 ? [HEADER_SOURCE[headers[0] as CredentialHeader]] : [];
  }
  if (headers.length !== 1) {
    throw new Error('with caching, API Gateway requires every identity source on every request: accept one credential header, or set the cache TTL to 0');
  }
  return [HEADER_SOURCE[headers[0] as CredentialHeader], '$context.routeKey', ...(instanceFromPath ? ['$context.path'] : [])];
}
