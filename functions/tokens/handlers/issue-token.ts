import { clientAuthentication, defineOAuthRoute, formParameters } from '../../http/oauth-handler.js';
import { oauthJson } from '../../http/oauth-responses.js';
import { requestOrigin } from '../../http/route-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { secretSigningKeys } from '../../runtime/secret-signing-keys.js';
import { countVerification } from '../../observability/metrics.js';
import { tokenDeps } from '../../signing/token-deps.js';
import { OAuthError } from '../oauth-errors.js';
import { issueAccessToken } from '../token-service.js';
import { issueTokenContract, tokenRequestSchema } from './issue-token.contract.js';

export const route = defineOAuthRoute(issueTokenContract, async ({ event, form }, deps) => {
  const request = formParameters(tokenRequestSchema, form);
  if (request.grant_type !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', `grant_type ${request.grant_type} is not supported: keygate issues tokens by client_credentials only`);
  }
  let client: ReturnType<typeof clientAuthentication>;
  try {
    client = clientAuthentication(event, form);
  } catch (error) {
    if (error instanceof OAuthError && error.code === 'invalid_client') {
      const missing = event.headers?.authorization === undefined && !form.has('client_secret');
      countVerification({ allowed: false, reason: missing ? 'missing' : 'malformed' });
    }
    throw error;
  }
  const issued = await issueAccessToken(deps, tokenDeps(deps), client, request.scope, requestOrigin(event));
  return oauthJson(200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope });
});

// The signing keys, read from Secrets Manager (the contract's tokens: 'signing-keys').
export const handler = lambdaHandler(route, secretSigningKeys);
