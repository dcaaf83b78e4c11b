import { cacheableJson, defineOAuthDocumentRoute } from '../../http/oauth-responses.js';
import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { authorizationServerMetadata } from '../discovery.js';
import { settingsFor } from '../../signing/token-settings.js';
import { tokenIssuer } from '../../signing/token-deps.js';
import { getAuthorizationServerMetadataContract } from './get-authorization-server-metadata.contract.js';

export const route = defineOAuthDocumentRoute(getAuthorizationServerMetadataContract, async (deps) => {
  return cacheableJson(authorizationServerMetadata(deps.config.catalog, tokenIssuer(deps)), settingsFor(deps.config.tokens).jwksMaxAgeSeconds);
});

export const handler = tablelessLambdaHandler(route);
