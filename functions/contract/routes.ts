/**
 * The one route table. The CDK stack makes an HTTP API route and a Lambda function of each
 * entry; the local gateway serves the same entries with the same handler modules. Plain data
 * only: handlers import it too (for their required permission), so it must bundle small.
 */
export interface RouteDefinition {
  /** Stable identifier: the CDK construct id and the name the handler looks itself up by. */
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `{name}` is a path parameter. */
  readonly path: string;
  /** Handler module, relative to the project root; it exports `handler`. */
  readonly entry: string;
  /**
   * What the caller must hold: a `resource:access` permission, `authenticated` (any valid
   * keygate credential) or `public` (no credential at all).
   */
  readonly permission: string;
  /**
   * What the function may do to the table: `read` also allows the caller's lastUsedAt write;
   * `none` for routes that never touch it.
   */
  readonly tableAccess: 'read' | 'write' | 'none';
  /**
   * Token routes (functions/tokens): `issuer` needs to know the issuer URL; `signing-keys` also
   * reads the token signing keys (which also sign JWT-format keys). See tokenAccess() for the
   * issuer URL every authenticated route gets.
   */
  readonly tokens?: 'issuer' | 'signing-keys';
  /** Built files the function's bundle carries: `console` is console/dist (see console/build.ts). */
  readonly assets?: 'console';
  readonly summary: string;
}

export const routes = [
  {
    id: 'CreateKey',
    method: 'POST',
    path: '/v1/keys',
    entry: 'functions/keys/handlers/create-key.ts',
    permission: 'keys:write',
    tableAccess: 'write',
    // A JWT-format key is signed with the token signing key.
    tokens: 'signing-keys',
    summary: 'Create a key; the key string is shown once',
  },
  {
    id: 'ListKeys',
    method: 'GET',
    path: '/v1/keys',
    entry: 'functions/keys/handlers/list-keys.ts',
    permission: 'keys:read',
    tableAccess: 'read',
    summary: 'List keys, newest first, filtered by owner and status',
  },
  {
    id: 'GetKey',
    method: 'GET',
    path: '/v1/keys/{id}',
    entry: 'functions/keys/handlers/get-key.ts',
    permission: 'keys:read',
    tableAccess: 'read',
    summary: 'Key details, with effective expiry and status',
  },
  {
    id: 'UpdateKey',
    method: 'PATCH',
    path: '/v1/keys/{id}',
    entry: 'functions/keys/handlers/update-key.ts',
    permission: 'keys:write',
    tableAccess: 'write',
    summary: 'Edit name, description, grants; shorten expiry',
  },
  {
    id: 'ResetKeySecret',
    method: 'POST',
    path: '/v1/keys/{id}/reset',
    entry: 'functions/keys/handlers/reset-key-secret.ts',
    permission: 'keys:write',
    tableAccess: 'write',
    tokens: 'signing-keys',
    summary: 'New secret, shown once; the old one stops working (after an optional grace period)',
  },
  {
    id: 'DeleteKey',
    method: 'DELETE',
    path: '/v1/keys/{id}',
    entry: 'functions/keys/handlers/delete-key.ts',
    permission: 'keys:write',
    tableAccess: 'write',
    summary: 'Revoke a key for good',
  },
  {
    id: 'GetCatalog',
    method: 'GET',
    path: '/v1/catalog',
    entry: 'functions/catalog/get-catalog.ts',
    permission: 'authenticated',
    tableAccess: 'read',
    summary: 'Permission catalog and roles',
  },
  {
    id: 'IssueToken',
    method: 'POST',
    path: '/oauth/token',
    entry: 'functions/tokens/handlers/issue-token.ts',
    // The client authenticates in the request (RFC 6749 §2.3), not with a bearer key.
    permission: 'public',
    tableAccess: 'read',
    tokens: 'signing-keys',
    summary: 'OAuth 2.0 client credentials grant: a key id and key string for a short-lived JWT access token',
  },
  {
    id: 'IntrospectToken',
    method: 'POST',
    path: '/oauth/introspect',
    entry: 'functions/tokens/handlers/introspect-token.ts',
    permission: 'tokens:read',
    tableAccess: 'read',
    tokens: 'signing-keys',
    summary: 'RFC 7662 token introspection: active only while the token and its key are both valid',
  },
  {
    id: 'GetJwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    entry: 'functions/tokens/handlers/get-jwks.ts',
    permission: 'public',
    tableAccess: 'none',
    tokens: 'signing-keys',
    summary: 'Public keys that verify access tokens (JWKS)',
  },
  {
    id: 'GetKeyJwks',
    method: 'GET',
    path: '/v1/keys/jwks.json',
    entry: 'functions/tokens/handlers/get-key-jwks.ts',
    // Public keys only, like /.well-known/jwks.json: keygate's own functions and authorizers read it.
    permission: 'public',
    tableAccess: 'none',
    tokens: 'signing-keys',
    summary: 'Public keys that verify JWT-format keys (never access tokens): signing keys, and retired ones while a key they signed can live',
  },
  {
    id: 'GetAuthorizationServerMetadata',
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    entry: 'functions/tokens/handlers/get-authorization-server-metadata.ts',
    permission: 'public',
    tableAccess: 'none',
    tokens: 'issuer',
    summary: 'RFC 8414 authorization server metadata',
  },
  {
    id: 'GetOpenIdConfiguration',
    method: 'GET',
    path: '/.well-known/openid-configuration',
    entry: 'functions/tokens/handlers/get-openid-configuration.ts',
    permission: 'public',
    tableAccess: 'none',
    tokens: 'issuer',
    summary: 'The same metadata where OpenID-style discovery (and API Gateway JWT authorizers) look for it',
  },
  {
    id: 'VerifyKey',
    method: 'POST',
    path: '/v1/keys/verify',
    entry: 'functions/keys/handlers/verify-key.ts',
    // The calling service authenticates with its own key. A public verify endpoint would be an
    // oracle that tells anyone holding a leaked string whether it works and what it may do,
    // unseen by the APIs it protects, and HTTP API throttling is per route, not per caller, so a
    // public route's limit is one bucket that anybody can drain for every legitimate service.
    permission: 'key-verification:read',
    tableAccess: 'read',
    summary: 'Verify a key a service was given: valid or not (with the reason), its owner and permissions',
  },
  {
    id: 'CreateChannel',
    method: 'POST',
    path: '/v1/channels',
    entry: 'functions/channels/handlers/create-channel.ts',
    permission: 'channels:write',
    tableAccess: 'write',
    summary: 'Create an alert channel (email, webhook, operator); a webhook signing secret is shown once',
  },
  {
    id: 'ListChannels',
    method: 'GET',
    path: '/v1/channels',
    entry: 'functions/channels/handlers/list-channels.ts',
    permission: 'channels:read',
    tableAccess: 'read',
    summary: "List alert channels of the caller's owner (admins: every owner's, or one by ?owner=), newest first",
  },
  {
    id: 'GetChannel',
    method: 'GET',
    path: '/v1/channels/{id}',
    entry: 'functions/channels/handlers/get-channel.ts',
    permission: 'channels:read',
    tableAccess: 'read',
    summary: 'Alert channel details (never its signing secret)',
  },
  {
    id: 'DeleteChannel',
    method: 'DELETE',
    path: '/v1/channels/{id}',
    entry: 'functions/channels/handlers/delete-channel.ts',
    permission: 'channels:write',
    tableAccess: 'write',
    summary: 'Delete an alert channel (an admin channel: admins only); notifications still naming it are dropped when they fire',
  },
  {
    id: 'ListOperatorMessages',
    method: 'GET',
    path: '/v1/operator-messages',
    entry: 'functions/channels/handlers/list-operator-messages.ts',
    permission: 'operator-messages:read',
    tableAccess: 'read',
    summary: "Messages delivered to operator channels about keys of the caller's owner (admins: every owner's), newest first",
  },
  {
    id: 'AcknowledgeOperatorMessage',
    method: 'POST',
    path: '/v1/operator-messages/{id}/acknowledge',
    entry: 'functions/channels/handlers/acknowledge-operator-message.ts',
    permission: 'operator-messages:write',
    tableAccess: 'write',
    summary: 'Acknowledge an operator message',
  },
  {
    id: 'ListAuditEntries',
    method: 'GET',
    path: '/v1/audit',
    entry: 'functions/audit/handlers/list-audit-entries.ts',
    // The log spans every owner: the handler also requires an admin role (which holds this).
    permission: 'audit-log:read',
    tableAccess: 'read',
    summary: 'Audit log, newest first, for admins: filter by keyId, actor, action, from and to',
  },
  {
    id: 'GetCaller',
    method: 'GET',
    path: '/v1/me',
    entry: 'functions/console/handlers/get-caller.ts',
    permission: 'authenticated',
    tableAccess: 'read',
    summary: 'Who the caller is: owner, admin or not, the signed-in person, and the grants held (the console builds its forms from it)',
  },
  {
    id: 'GetConsole',
    method: 'GET',
    path: '/console',
    entry: 'functions/console/handlers/serve-console-page.ts',
    // The page and its assets hold nothing secret; the console signs people in itself (OIDC).
    permission: 'public',
    tableAccess: 'none',
    assets: 'console',
    summary: 'The web console (sign-in with OpenID Connect)',
  },
  {
    id: 'GetConsoleAsset',
    method: 'GET',
    path: '/console/{asset}',
    entry: 'functions/console/handlers/serve-console-asset.ts',
    permission: 'public',
    tableAccess: 'none',
    assets: 'console',
    summary: "The web console's script, style sheet and settings (issuer, client id, expiry policy)",
  },
  {
    id: 'GetOpenApi',
    method: 'GET',
    path: '/openapi.json',
    entry: 'functions/openapi/handlers/get-openapi.ts',
    permission: 'public',
    tableAccess: 'none',
    summary: 'OpenAPI 3.1 description of every route, generated from the schemas that validate them',
  },
] as const satisfies readonly RouteDefinition[];

export type RouteId = (typeof routes)[number]['id'];

/**
 * What a route's function gets of the token issuer: its own `tokens` entry, and at least the
 * issuer URL on every route that authenticates a keygate key, because a JWT-format key is checked
 * against the issuer's key JWKS (GET /v1/keys/jwks.json) by functions that hold no signing keys.
 * A dependency to know: a function with no copy in memory (a cold start) that cannot fetch that
 * public route answers JWT-format keys with a 500 until a fetch succeeds (keys in the kg_ format
 * are unaffected). A non-secret copy of the public halves (an SSM parameter written by the
 * rotation) would remove it; not done yet.
 */
export function tokenAccess(route: RouteDefinition): RouteDefinition['tokens'] {
  return route.tokens ?? (route.permission === 'public' ? undefined : 'issuer');
}

export function routeById(id: RouteId): RouteDefinition {
  const route = routes.find((r) => r.id === id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
}
