import * as z from 'zod';
import { credentialHeaders } from '../access/credentials.js';
import type { TokenTrust } from '../access/verify-credential.js';
import { type AuthorizerSettings, checkSettings, routeRulesSchema } from '../authorizer/authorizer.js';
import { deploymentConfig } from '../deployment-config.js';
import type { Deps } from './deps.js';
import { issuerUrlSchema } from '../signing/issuer.js';
import { remoteKeyJwtTrust } from '../signing/key-jwt-trust.js';
import { RemoteJwks } from '../signing/remote-jwks.js';
import { baseDeps } from './environment.js';
import { readEnvironment } from './read-environment.js';
import { enableShutdownFlush } from './shutdown-signal.js';

// At init, on Lambda only: SIGTERM before the instance is retired, to write its usage counts (shutdown-signal.ts).
await enableShutdownFlush();

/**
 * The keygate authorizer's dependencies. The construct (infra/protected-api.ts) sets its
 * environment; it is read and checked once per cold start, and nothing defaults:
 *
 *   TABLE_NAME                  keygate's table (GetItem, and UpdateItem for lastUsedAt)
 *   KEYGATE_ROUTES              JSON: { "GET /alerts": { "permission": "alerts:read" }, ... },
 *                               compiled into the bundle by the construct (__KEYGATE_ROUTES__,
 *                               an esbuild define: hundreds of routes do not fit Lambda's 4 KB
 *                               of environment); the variable is read only when unbundled (tests)
 *   KEYGATE_CREDENTIAL_HEADERS  "authorization", "x-api-key" or "authorization,x-api-key"
 *   KEYGATE_ISSUER              keygate's issuer URL; its JWKS is read from
 *                               <issuer>/.well-known/jwks.json and kept in memory, and (only
 *                               once a JWT-format key comes) the keys that verify those from
 *                               <issuer>/v1/keys/jwks.json
 */
const environmentSchema = z.object({
  KEYGATE_ROUTES: z.string().transform((text, ctx) => {
    try {
      return routeRulesSchema.parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be the JSON route rules the construct writes' });
      return z.NEVER;
    }
  }),
  KEYGATE_CREDENTIAL_HEADERS: z
    .string()
    .transform((text) => text.split(','))
    .pipe(z.array(z.enum(credentialHeaders)).min(1)),
  KEYGATE_ISSUER: issuerUrlSchema,
});

/** The route rules the construct compiled in (infra/protected-api.ts); undeclared when run unbundled. */
declare const __KEYGATE_ROUTES__: string | undefined;
const bundledRoutes = typeof __KEYGATE_ROUTES__ === 'string' ? __KEYGATE_ROUTES__ : undefined;

export interface AuthorizerRuntime {
  settings: AuthorizerSettings;
  deps: Deps;
}

let cached: AuthorizerRuntime | undefined;

export function authorizerRuntime(): AuthorizerRuntime {
  if (cached) return cached;
  const env = readEnvironment(
    environmentSchema,
    'keygate authorizer is misconfigured',
    bundledRoutes === undefined ? {} : { KEYGATE_ROUTES: bundledRoutes },
  );
  const issuer = env.KEYGATE_ISSUER;
  const jwks = new RemoteJwks(`${issuer}/.well-known/jwks.json`);
  const tokens: TokenTrust = {
    issuer,
    audience: deploymentConfig.tokens.audience,
    jwks: (now) => jwks.jwks(now),
    refresh: (now) => jwks.refresh(now),
  };
  const settings = checkSettings(deploymentConfig.catalog, {
    routes: env.KEYGATE_ROUTES,
    credentialHeaders: env.KEYGATE_CREDENTIAL_HEADERS,
    tokens,
  });
  // JWT-format keys are checked against the keys keygate publishes for them (fetched on first need).
  cached = { settings, deps: { ...baseDeps(), keyJwts: remoteKeyJwtTrust(issuer) } };
  return cached;
}
