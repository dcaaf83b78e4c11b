import type { APIGatewayRequestAuthorizerEvent, APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { credentialHeaders } from '../access/credentials.js';
import type { TokenTrust } from '../access/verify-credential.js';
import { deploymentConfig } from '../deployment-config.js';
import { depsFromEnvironment } from '../http/environment.js';
import { remoteKeyJwtTrust } from '../keys/key-jwt-keys.js';
import type { Deps } from '../shared/deps.js';
import { issuerUrlSchema } from '../tokens/issuer.js';
import { type AuthorizerSettings, authorizeHttpApi, authorizeRestApi, checkSettings, routeRulesSchema } from './authorizer.js';
import { RemoteJwks } from './remote-jwks.js';

/**
 * The Lambda entry point of the keygate authorizer. The construct (infra/protected-api.ts) sets
 * its environment; it is read and checked once per cold start, and nothing defaults:
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

interface Configured {
  settings: AuthorizerSettings;
  deps: Deps;
}

let cached: Configured | undefined;

function fromEnvironment(): Configured {
  if (cached) return cached;
  const env = environmentSchema.safeParse(bundledRoutes === undefined ? process.env : { ...process.env, KEYGATE_ROUTES: bundledRoutes });
  if (!env.success) throw new Error(`keygate authorizer is misconfigured: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  const issuer = env.data.KEYGATE_ISSUER;
  const jwks = new RemoteJwks(`${issuer}/.well-known/jwks.json`);
  const tokens: TokenTrust = {
    issuer,
    audience: deploymentConfig.tokens.audience,
    jwks: (now) => jwks.jwks(now),
    refresh: (now) => jwks.refresh(now),
  };
  const settings = checkSettings(deploymentConfig.catalog, {
    routes: env.data.KEYGATE_ROUTES,
    credentialHeaders: env.data.KEYGATE_CREDENTIAL_HEADERS,
    tokens,
  });
  // JWT-format keys are checked against the keys keygate publishes for them (fetched on first need).
  cached = { settings, deps: { ...depsFromEnvironment(), keyJwts: remoteKeyJwtTrust(issuer) } };
  return cached;
}

/** HTTP API (payload 2.0, simple responses) or REST API (REQUEST authorizer), told apart by the event. */
export async function handler(event: APIGatewayRequestAuthorizerEventV2 | APIGatewayRequestAuthorizerEvent) {
  const { settings, deps } = fromEnvironment();
  return 'methodArn' in event ? authorizeRestApi(deps, settings, event) : authorizeHttpApi(deps, settings, event);
}
