import { defineOAuthDocumentRoute, keySetJson } from '../../http/oauth-responses.js';
import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { tokenDeps } from '../../signing/token-deps.js';
import { getJwksContract } from './get-jwks.contract.js';

/** The published signing keys (their public halves). Cacheable for jwksMaxAge: see token-settings.ts. */
export const route = defineOAuthDocumentRoute(getJwksContract, async (deps) => {
  const tokens = tokenDeps(deps);
  return keySetJson(await tokens.keys.jwks(deps.clock()), tokens.settings.jwksMaxAgeSeconds);
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = tablelessLambdaHandler(route, secretSigningKeys);
