import { cacheableJson, defineOAuthDocumentRoute } from '../../http/oauth-responses.js';
import { tablelessLambdaHandler } from '../../runtime/lambda-tableless.js';
import { authorizationServerMetadata } from '../discovery.js';
import { settingsFor } from '../../signing/token-settings.js';
import { tokenIssuer } from '../../signing/token-deps.js';
import { getOpenIdConfigurationContract } from './get-openid-configuration.contract.js';

/** The RFC 8414 metadata again, where OpenID-style discovery looks for it. */
export const route = defineOAuthDocumentRoute(getOpenIdConfigurationContract, async (deps) => {
  return cacheableJson(authorizationServerMetadata(deps.config.catalog, tokenIssuer(deps)), settingsFor(deps.config.tokens).jwksMaxAgeSeconds);
});

export const handler = tablelessLambdaHandler(route);
