import { getJwksContract } from './handlers/get-jwks.contract.js';
import { introspectTokenContract } from './handlers/introspect-token.contract.js';
import { issueTokenContract } from './handlers/issue-token.contract.js';
import type { Catalog } from '../permissions/catalog.js';

/** Every grantable `resource:access` of the catalog: what `scope` may ask for. */
function grantablePermissions(catalog: Catalog): string[] {
  return Object.entries(catalog.resources)
    .filter(([, resource]) => resource.grantable)
    .flatMap(([name, resource]) => resource.access.map((access) => `${name}:${access}`))
    .sort();
}

/**
 * Authorization server metadata (RFC 8414), served at both well-known addresses: RFC 8414's and
 * OpenID Connect Discovery's, which API Gateway's JWT authorizer and most OAuth clients read
 * (they only need `issuer` and `jwks_uri`). keygate issues no ID tokens and has no
 * authorization endpoint, so it claims no response type and no OpenID Provider fields.
 * Introspection callers authenticate with a keygate key as a bearer token, which has no
 * registered auth-method name, so `introspection_endpoint_auth_methods_supported` is left out.
 */
export function authorizationServerMetadata(catalog: Catalog, issuer: string) {
  return {
    issuer,
    token_endpoint: `${issuer}${issueTokenContract.path}`,
    jwks_uri: `${issuer}${getJwksContract.path}`,
    introspection_endpoint: `${issuer}${introspectTokenContract.path}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: [],
    scopes_supported: grantablePermissions(catalog),
    subject_types_supported: ['public'],
  };
}
