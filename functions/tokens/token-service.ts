import { createHash, randomUUID } from 'node:crypto';
import type { RequestOrigin } from '../audit/audit-model.js';
import { auditFailedAuthentication } from '../audit/audit-service.js';
import { authenticateKey, type PresentedKey, readPresentedKey } from '../keys/key-authentication.js';
import type { Principal } from '../permissions/principal.js';
import { type KeyRecord, keyStatus } from '../keys/key-model.js';
import { findKey } from '../keys/key-store.js';
import { hashSecret } from '../keys/key-string.js';
import { expandGrants, hasPermission, missingGrants, parsePermission, type RoleGrant } from '../permissions/grants.js';
import { countTokenIssued, countVerification } from '../observability/metrics.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError, ValidationError } from '../shared/errors.js';
import { type AccessTokenClaims, InvalidAccessTokenError, signAccessToken, verifyAccessToken } from './access-token.js';
import { OAuthError } from './oauth-errors.js';
import { countUse, recountAsRefused } from '../usage/usage-counts.js';
import type { TokenDeps } from '../signing/token-deps.js';

/**
 * The token service: the client credentials grant (RFC 6749 §4.4) with a keygate key as the
 * client, and introspection (RFC 7662). The client_id is the key id and the client_secret the
 * full key string, or the whole JWT of a JWT-format key (it is the key: taking it here too is
 * the same judgement as everywhere else); authentication is authenticateKey's, so a token
 * exchange is a use of the key (lastUsedAt, once a minute) and refuses exactly the keys the
 * management API refuses.
 */

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export interface IssuedAccessToken {
  accessToken: string;
  expiresIn: number;
  /** What the token carries, space-separated (possibly empty when only scoped roles are held). */
  scope: string;
}

/**
 * Which key secret minted a token. A reset replaces the secret; tokens minted with the replaced
 * one must die with it (at once, or when the grace period ends), while tokens minted with the
 * new one live. Comparing `iat` with `secretResetAt` cannot tell them apart: both can fall in
 * the same second, and during a grace period either secret mints. So the token names its secret
 * by a digest of the stored hash (which reveals nothing: the secret has 256 random bits).
 */
export function secretFingerprint(secretHash: string): string {
  return createHash('sha256').update(`keygate access token secret\0${secretHash}`).digest('base64url').slice(0, 22);
}

/** RFC 6749 §3.3: scope tokens are printable ASCII without space, `"` or `\`, joined by single spaces. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

interface GrantedScope {
  permissions: string[];
  roles?: RoleGrant[];
}

/**
 * Without a request, a token carries everything the key holds: `scope` lists the permissions it
 * holds on every instance (directly or through roles), and `roles` the role grants with their
 * instance scopes. With a request, it carries exactly the requested permissions, each of which
 * the key must hold on every instance (hasPermission), and no roles.
 */
function grantedScope(deps: Deps, principal: Principal, requested: string | undefined): GrantedScope {
  const catalog = deps.config.catalog;
  if (requested === undefined) {
    const permissions = [...principal.expanded.permissions].filter(([, scope]) => scope === '*').map(([p]) => p);
    const roles = principal.grants.roles;
    return { permissions: permissions.sort(), ...(roles.length > 0 ? { roles } : {}) };
  }
  if (!SCOPE.test(requested)) throw new OAuthError('invalid_scope', 'scope must be permissions (resource:access) separated by single spaces');
  const permissions = new Set<string>();
  for (const item of requested.split(' ')) {
    let canonical: string;
    try {
      const { resource, access } = parsePermission(catalog, item);
      canonical = `${resource}:${access}`;
    } catch (error) {
      if (error instanceof ValidationError) throw new OAuthError('invalid_scope', error.message);
      throw error;
    }
    if (!hasPermission(catalog, principal.expanded, canonical)) {
      const somewhere = principal.expanded.permissions.has(canonical);
      throw new OAuthError(
        'invalid_scope',
        somewhere
          ? `the key holds ${canonical} only on some instances (through a scoped role): leave out scope to get a token with its roles`
          : `the key does not hold ${canonical}`,
      );
    }
    permissions.add(canonical);
  }
  return { permissions: [...permissions].sort() };
}

/** `origin`: the request, for the audit entry of a failed client authentication. */
export async function issueAccessToken(
  deps: Deps,
  tokens: TokenDeps,
  client: ClientCredentials,
  requestedScope: string | undefined,
  origin: RequestOrigin,
): Promise<IssuedAccessToken> {
  // Checked before any table I/O: a secret that is no key (or a JWT keygate did not sign), or
  // another key's, is refused at once (counted, not audited).
  let parsed: PresentedKey;
  try {
    parsed = await readPresentedKey(deps, client.clientSecret);
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    countVerification({ allowed: false, reason: error.reason });
    throw new OAuthError('invalid_client', 'client authentication failed: the client_secret is not a keygate key');
  }
  if (parsed.keyId !== client.clientId) {
    countVerification({ allowed: false, reason: 'malformed' });
    throw new OAuthError('invalid_client', 'client authentication failed: the client_secret does not belong to this client_id');
  }

  let principal: Principal;
  try {
    principal = await authenticateKey(deps, parsed, { ip: origin.sourceIp });
  } catch (error) {
    if (error instanceof AuthenticationError) {
      countVerification({ allowed: false, reason: error.reason });
      await auditFailedAuthentication(deps, error, origin, 'IssueToken');
      throw new OAuthError('invalid_client', `client authentication failed: ${error.message}`);
    }
    throw error;
  }
  // The key verified: counted with the token in one metric line, or alone if no token comes of it.
  let issued: IssuedAccessToken;
  try {
    const granted = grantedScope(deps, principal, requestedScope);

    const now = deps.clock();
    const iat = Math.floor(now.getTime() / 1000);
    let exp = iat + tokens.settings.lifetimeSeconds;
    if (principal.expiresAt) exp = Math.min(exp, Math.floor(new Date(principal.expiresAt).getTime() / 1000));
    const scope = granted.permissions.join(' ');
    const claims: AccessTokenClaims = {
      iss: tokens.issuer,
      sub: principal.owner,
      aud: tokens.settings.audience,
      client_id: client.clientId,
      iat,
      exp,
      jti: randomUUID(),
      ...(scope === '' ? {} : { scope }),
      ...(granted.roles ? { roles: granted.roles } : {}),
      kg_sfp: secretFingerprint(hashSecret(parsed.secret)),
      ...(principal.allowedIps === undefined ? {} : { kg_ips: principal.allowedIps }),
    };
    const accessToken = signAccessToken(await tokens.keys.signer(now), claims);
    issued = { accessToken, expiresIn: exp - iat, scope };
  } catch (error) {
    countVerification({ allowed: true });
    // A scope the key does not hold: this use of the key is refused after all (usage counts).
    if (error instanceof OAuthError) recountAsRefused(deps, principal);
    throw error;
  }
  countTokenIssued();
  return issued;
}

export type Introspection = { active: false } | ({ active: true; token_type: 'Bearer' } & Omit<AccessTokenClaims, 'kg_sfp'>);

/** Why a token is inactive; for the log, never for the response (RFC 7662 §2.2 says only active:false). */
export type InactiveReason = 'invalid' | 'key_missing' | 'key_not_active' | 'secret_replaced' | 'grants_reduced' | 'allowlist_changed';

/**
 * RFC 7662: a token is active when it verifies (signature, alg, iss, aud, typ, exp) AND its key
 * is still active, still has the secret that minted it (or, after a reset with a grace period,
 * that secret's grace has not ended), and still holds everything the token carries. One
 * strongly consistent read of the key, so a reset, delete or grant edit bites at once.
 */
export async function introspectToken(deps: Deps, tokens: TokenDeps, token: string): Promise<{ result: Introspection; reason?: InactiveReason }> {
  const now = deps.clock();
  let claims: AccessTokenClaims;
  try {
    claims = await verifyAccessToken(token, { issuer: tokens.issuer, audience: tokens.settings.audience, jwks: await tokens.keys.jwks(now), now });
  } catch (error) {
    if (error instanceof InvalidAccessTokenError) return { result: { active: false }, reason: 'invalid' };
    throw error;
  }
  const key = await findKey(deps, claims.client_id);
  if (!key || key.owner !== claims.sub) return { result: { active: false }, reason: 'key_missing' };
  const judged = judgeIntrospected(deps, claims, key, now);
  // A use of the token at a resource server, counted against its key (usage counts) as at the authorizer.
  countUse(deps, key.id, judged.result.active ? 'allowed' : 'refused', now);
  return judged;
}

/** introspectToken's judgement of a verified token against its key's record. */
function judgeIntrospected(deps: Deps, claims: AccessTokenClaims, key: KeyRecord, now: Date): { result: Introspection; reason?: InactiveReason } {
  if (keyStatus(key, now) !== 'active') return { result: { active: false }, reason: 'key_not_active' };

  const mintedByCurrent = claims.kg_sfp === secretFingerprint(key.secretHash);
  const mintedByPrevious =
    key.previousSecretHash !== undefined &&
    claims.kg_sfp === secretFingerprint(key.previousSecretHash) &&
    key.previousSecretValidUntil !== undefined &&
    key.previousSecretValidUntil > now.toISOString();
  if (!mintedByCurrent && !mintedByPrevious) return { result: { active: false }, reason: 'secret_replaced' };

  const catalog = deps.config.catalog;
  const held = expandGrants(catalog, key);
  const permissions = claims.scope === undefined ? [] : claims.scope.split(' ');
  if (!permissions.every((p) => hasPermission(catalog, held, p)) || missingGrants(catalog, held, { roles: claims.roles ?? [], permissions: [] }).length > 0) {
    return { result: { active: false }, reason: 'grants_reduced' };
  }

  // The allowlist the token carries must be the key's current one: a token minted before an
  // allowlist was set (or changed) would otherwise be usable offline from addresses it no longer allows.
  if (JSON.stringify(claims.kg_ips ?? null) !== JSON.stringify(key.allowedIps ?? null)) {
    return { result: { active: false }, reason: 'allowlist_changed' };
  }

  const { kg_sfp: _fingerprint, ...shown } = claims;
  return { result: { active: true, ...shown, token_type: 'Bearer' } };
}
