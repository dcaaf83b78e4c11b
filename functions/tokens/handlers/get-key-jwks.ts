import { defineOAuthDocumentRoute, keySetJson } from '../../http/oauth-responses.js';
import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { tokenDeps } from '../../signing/token-deps.js';
import { getKeyJwksContract } from './get-key-jwks.contract.js';

/**
 * The public keys that verify JWT-format keys: the signing keys and the retired ones a living
 * key may still be signed with (see signing-keys.ts). Cacheable like the JWKS: a new signing key
 * is listed here from the moment it is written, publishAhead before it signs.
 */
export const route = defineOAuthDocumentRoute(getKeyJwksContract, async (deps) => {
  const tokens = tokenDeps(deps);
  return keySetJson(await tokens.keys.keyVerificationJwks(deps.clock()), tokens.settings.jwksMaxAgeSeconds);
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = tablelessLambdaHandler(route, secretSigningKeys);
