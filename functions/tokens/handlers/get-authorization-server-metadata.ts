import { cacheableJson, defineOAuthRoute } from '../../http/oauth-handler.js';
import { lambdaHandler } from '../../runtime/lambda.js';
import { authorizationServerMetadata } from '../discovery.js';
import { settingsFor } from '../../signing/token-settings.js';
import { tokenIssuer } from '../../signing/token-deps.js';
import { getAuthorizationServerMetadataContract } from './get-authorization-server-metadata.contract.js';

export const route = defineOAuthRoute(getAuthorizationServerMetadataContract, async (_request, deps) => {
  return cacheableJson(authorizationServerMetadata(deps.config.catalog, tokenIssuer(deps)), settingsFor(deps.config.tokens).jwksMaxAgeSeconds);
});

export const handler = lambdaHandler(route);
