import { cacheableJson, defineOAuthRoute } from '../../http/oauth-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { tokenDeps } from '../../signing/token-deps.js';
import { getJwksContract } from './get-jwks.contract.js';

/** The published signing keys (their public halves). Cacheable for jwksMaxAge: see token-settings.ts. */
export const route = defineOAuthRoute(getJwksContract, async (_request, deps) => {
  const tokens = tokenDeps(deps);
  return cacheableJson(await tokens.keys.jwks(deps.clock()), tokens.settings.jwksMaxAgeSeconds);
});

export const handler = lambdaHandler(route);
