import { defineOAuthRoute, formParameters } from '../../http/oauth-handler.js';
import { oauthJson } from '../../http/oauth-responses.js';
import { logger } from '../../observability/logger.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { tokenDeps } from '../../signing/token-deps.js';
import { introspectToken } from '../token-service.js';
import { introspectTokenContract, introspectionRequestSchema } from './introspect-token.contract.js';

export const route = defineOAuthRoute(introspectTokenContract, async ({ form, requestId, principal }, deps) => {
  const { token } = formParameters(introspectionRequestSchema, form);
  const { result, reason } = await introspectToken(deps, tokenDeps(deps), token);
  // Why a token is inactive is for the operator; the caller learns only active:false (§2.2).
  if (reason) logger.info('introspected token is inactive', { requestId, reason, caller: principal?.keyId });
  return oauthJson(200, result);
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = lambdaHandler(route, secretSigningKeys);
