import { cacheableJson, defineOAuthRoute } from '../../http/oauth-handler.js';
import { lambdaHandler } from '../../http/route-handler.js';
import { authorizationServerMetadata } from '../discovery.js';
import { settingsFor } from '../environment.js';
import { tokenIssuer } from '../issuer.js';

/** The RFC 8414 metadata again, where OpenID-style discovery looks for it. */
export const route = defineOAuthRoute('GetOpenIdConfiguration', {
  form: false,
  async run(_request, deps) {
    return cacheableJson(authorizationServerMetadata(deps.config.catalog, tokenIssuer(deps)), settingsFor(deps.config.tokens).jwksMaxAgeSeconds);
  },
});

export const handler = lambdaHandler(route);
