import { ownTokenTrust } from '../functions/access/verify-credential.js';
import type { CredentialHeader } from '../functions/access/credentials.js';
import { type AuthorizerSettings, authorizeHttpApi, checkSettings, type RouteRules } from '../functions/authorizer/authorizer.js';
import type { TokenDeps } from '../functions/signing/token-deps.js';
import { deploymentConfig } from '../functions/deployment-config.js';
import { identitySources } from '../functions/contract/authorizer-identity.js';
import { PROTECTED_API_THROTTLE } from '../functions/contract/throttles.js';
import type { GatewayRoute, LocalAuthorizer } from './gateway.js';
import { DEMO_CACHE_TTL_SECONDS, demoRoutes } from '../infra/demo/demo-routes.js';

/**
 * The demo API on a laptop: its routes, served by the local gateway behind the same authorizer
 * code, route rules and identity sources KeygateProtectedApi deploys. Access tokens are checked
 * against the local issuer's keys (deps.tokens), read when a request comes in. Its routes are
 * throttled as the construct's own stage is by default (the demo stack sets none).
 */
export function localDemoRoutes(options: { cacheTtlSeconds?: number; credentialHeaders?: readonly CredentialHeader[] } = {}): GatewayRoute[] {
  const cacheTtlSeconds = options.cacheTtlSeconds ?? DEMO_CACHE_TTL_SECONDS;
  const credentialHeaders = options.credentialHeaders ?? ['authorization'];
  const rules: RouteRules = {};
  for (const route of demoRoutes) {
    rules[`${route.method} ${route.path}`] = { permission: route.permission, ...(route.instanceFrom === undefined ? {} : { instanceFrom: route.instanceFrom }) };
  }
  const settings = checkSettings(deploymentConfig.catalog, { routes: rules, credentialHeaders });
  // The settings with the local issuer's trust, built once per issuer (as functions/runtime/authorizer.ts does once), not per request.
  const withoutTokens: AuthorizerSettings = { ...settings, tokens: undefined };
  const withTrust = new WeakMap<TokenDeps, AuthorizerSettings>();
  const settingsFor = (tokens: TokenDeps | undefined): AuthorizerSettings => {
    if (!tokens) return withoutTokens;
    let found = withTrust.get(tokens);
    if (!found) withTrust.set(tokens, (found = { ...settings, tokens: ownTokenTrust(tokens) }));
    return found;
  };
  const authorizer: LocalAuthorizer = {
    identitySource: identitySources(credentialHeaders, cacheTtlSeconds, demoRoutes.some((r) => r.instanceFrom !== undefined)),
    resultsCacheTtlSeconds: cacheTtlSeconds,
    handle: (event, deps) => authorizeHttpApi(deps, settingsFor(deps.tokens), event),
  };
  return demoRoutes.map((route) => ({ id: route.id, method: route.method, path: route.path, entry: route.entry, authorizer, throttle: PROTECTED_API_THROTTLE }));
}
