import { isKeyJwt, JWS_COMPACT } from '../keys/key-jwt.js';
import { authenticateKey, authenticateKeyAlongside, type ClientAddress, type KeyLookup, UNKNOWN_ADDRESS } from '../keys/key-authentication.js';
import { addressAllowed } from '../keys/key-ip-allowlist.js';
import type { Principal } from '../permissions/principal.js';
import { expandGrants, type Grants } from '../permissions/grants.js';
import type { Deps } from '../runtime/deps.js';
import { AuthenticationError } from '../shared/errors.js';
import { countAgainstLimits } from '../usage/limit-enforcement.js';
import { type JwksSource, verifyWithKnownKeys } from '../signing/jwks-source.js';
import { type AccessTokenClaims, InvalidAccessTokenError, verifyAccessToken } from '../tokens/access-token.js';
import type { TokenDeps } from '../signing/token-deps.js';
import type { Credential } from './credentials.js';
import { countedUse } from '../usage/usage-counts.js';
import { claimsIssuer, type PersonTrust, verifyPersonToken } from './person-credential.js';

/** Who is calling, and with what: every place that accepts a keygate credential resolves it to this. */
export interface Caller extends Principal {
  credential: 'key' | 'token' | 'person';
  /** The key, or the key a token was minted with; absent for a signed-in person (see `person`). */
  keyId?: string;
  /** A key's fixed expiry (null: none), or a token's `exp`. */
  expiresAt: string | null;
}

/**
 * What a verifier trusts tokens by: keygate's issuer, the audience, and its published keys
 * (kept in memory by the implementation: verifying a token reads no table).
 */
export interface TokenTrust extends JwksSource {
  issuer: string;
  audience: string;
}

/** Trust in the keys of the process's own token issuer (keygate's functions, the local run). */
export function ownTokenTrust(tokens: TokenDeps): TokenTrust {
  return { issuer: tokens.issuer, audience: tokens.settings.audience, jwks: (now) => tokens.keys.jwks(now) };
}

/**
 * Resolves a credential to its caller, or throws an AuthenticationError whose `reason` says why.
 * It dispatches on the shape, before any I/O: a keygate key starts with the deployment's prefix
 * and `_`, or is a JWT-format key (a JWT whose header says `typ: kg-key+jwt`; its verification
 * pins that type again): one strongly consistent read, plus the once-a-minute lastUsedAt write.
 * Any other JWT is taken for an access token (no read: signature and claims are checked against
 * the JWKS in memory, with `typ: at+jwt` pinned). `trust` undefined: this place takes keys only.
 */
export async function verifyCredential(
  deps: Deps,
  credential: Credential,
  trust?: TokenTrust,
  address: ClientAddress = UNKNOWN_ADDRESS,
): Promise<Caller> {
  return (await verifyCredentialAlongside(deps, credential, trust, undefined, undefined, address)).caller;
}

/**
 * Where people may sign in (the management API): the issuer they come from. Its JWTs are told
 * apart from keygate's access tokens by their `iss` (read before verifying, to choose the
 * verification, which then pins it again).
 */
export type PeopleTrust = PersonTrust | undefined;

/**
 * verifyCredential; when the credential is a key and `alongside` names another, that one is read
 * in the same request (authenticateKeyAlongside) and returned looked up but not judged. Not read
 * for other credentials (`alongside` undefined in the result): the caller then reads it itself.
 */
export async function verifyCredentialAlongside(
  deps: Deps,
  credential: Credential,
  trust: TokenTrust | undefined,
  alongside: string | undefined,
  people?: PeopleTrust,
  address: ClientAddress = UNKNOWN_ADDRESS,
): Promise<{ caller: Caller; alongside?: KeyLookup }> {
  const { value } = credential;
  if (value.startsWith(`${deps.config.keyPrefix}_`) || isKeyJwt(value)) {
    if (alongside === undefined) return { caller: keyCaller(await authenticateKey(deps, value, address)) };
    const read = await authenticateKeyAlongside(deps, value, alongside, address);
    return { caller: keyCaller(read.principal), alongside: read.alongside };
  }
  if (JWS_COMPACT.test(value)) {
    if (credential.header !== 'authorization') {
      throw new AuthenticationError('malformed', 'x-api-key takes keygate keys only: send an access token as "Authorization: Bearer <token>"');
    }
    if (people && claimsIssuer(value, people.issuer)) return { caller: await verifyPerson(deps, value, people) };
    if (!trust) throw new AuthenticationError('invalid', people ? 'this route takes keygate keys or a signed-in person, not access tokens' : 'this route takes keygate keys only, not access tokens');
    return { caller: await verifyToken(deps, value, trust, address) };
  }
  throw new AuthenticationError('malformed', 'not a keygate credential: expected a keygate key or an access token');
}

async function verifyPerson(deps: Deps, token: string, people: PersonTrust): Promise<Caller> {
  const person = await verifyPersonToken(token, people, deps.config.catalog, deps.config.adminRole, deps.clock());
  return { credential: 'person', owner: person.owner, person: person.person, grants: person.grants, expanded: person.expanded, expiresAt: person.expiresAt };
}

/** Compiles only when `T` is never: below, when Principal has a field keyCaller neither copies nor leaves out. */
type NoneLeft<T extends never> = T;
export type KeyCallerCoversPrincipal = NoneLeft<
  Exclude<keyof Principal, 'keyId' | 'owner' | 'grants' | 'expanded' | 'expiresAt' | 'meta' | 'request' | 'person' | 'usageCountedAt' | 'allowedIps' | 'limits'>
>;

/**
 * All of a key's principal but its IP allowlist and limits (the key's business, not the route's).
 * Built field by field (KeyCallerCoversPrincipal keeps the list whole), not as
 * `{ ...principal, credential }`: on Node 20 a spread followed by a new property takes V8's slow
 * path, 1.3–2 µs a time (--cpu-prof, then a microbenchmark), on every key-authenticated request.
 */
function keyCaller(principal: Principal): Caller {
  const caller: Caller = { credential: 'key', keyId: principal.keyId ?? '', owner: principal.owner, grants: principal.grants, expanded: principal.expanded, expiresAt: principal.expiresAt ?? null };
  if (principal.meta !== undefined) caller.meta = principal.meta;
  if (principal.request !== undefined) caller.request = principal.request;
  if (principal.person !== undefined) caller.person = principal.person;
  if (principal.usageCountedAt !== undefined) caller.usageCountedAt = principal.usageCountedAt;
  return caller;
}

/** The token's JWKS may predate a rotation: one re-read when the token names an unknown key. */
function verifiedClaims(token: string, trust: TokenTrust, now: Date): Promise<AccessTokenClaims> {
  return verifyWithKnownKeys(
    trust,
    now,
    (jwks) => verifyAccessToken(token, { issuer: trust.issuer, audience: trust.audience, now, jwks }),
    (error) => error instanceof InvalidAccessTokenError && error.reason === 'ERR_JWKS_NO_MATCHING_KEY',
  );
}

/**
 * An access token, verified offline with the token module's own verification (algorithm, key,
 * issuer, audience and type pinned). It carries its grants: `scope` (permissions on every
 * instance) and `roles` (with their instance scopes), and its key's IP allowlist (`kg_ips`),
 * checked against `address`. No read: a deleted, reset or suspended key's tokens pass here until
 * they expire (at most the token lifetime); introspection checks the key.
 */
async function verifyToken(deps: Deps, token: string, trust: TokenTrust, address: ClientAddress): Promise<Caller> {
  // A token's use counts against its key (`client_id`), in memory, as authenticateLookup counts a
  // key's: allowed, or an AuthenticationError naming its known key (subject) by its reason. A token
  // that does not verify names no key and is not counted. Still no read.
  return countedUse(deps, () => checkToken(deps, token, trust, address));
}

/** verifyToken's checks, before its usage count. */
async function checkToken(deps: Deps, token: string, trust: TokenTrust, address: ClientAddress): Promise<Caller> {
  const now = deps.clock();
  let claims: AccessTokenClaims;
  try {
    claims = await verifiedClaims(token, trust, now);
  } catch (error) {
    if (!(error instanceof InvalidAccessTokenError)) throw error;
    if (error.reason === 'ERR_JWT_EXPIRED') throw new AuthenticationError('expired', 'the access token has expired: get a new one');
    throw new AuthenticationError('invalid', 'the access token is not valid');
  }
  if (claims.kg_ips !== undefined && address !== 'unchecked' && !addressAllowed(claims.kg_ips, address.ip)) {
    const from = address.ip === null ? 'from an unknown address' : `from ${address.ip}`;
    const message = `the access token may not be used ${from}: its key's IP allowlist does not include it`;
    throw new AuthenticationError('ip_not_allowed', message, { keyId: claims.client_id, known: true }, address.ip);
  }
  // A token of a key with limits counts against its key's counters (no read of the key); others touch nothing.
  // A quota without a refill: the key's own uses set its item's TTL (the token's key end is not known here).
  if (claims.kg_lim !== undefined) {
    const limits = { rateLimits: claims.kg_lim.rl, quota: claims.kg_lim.q, limitsCountedOn: claims.kg_lim.on };
    await countAgainstLimits(deps, claims.client_id, limits, undefined);
  }
  const grants: Grants = { roles: claims.roles ?? [], permissions: claims.scope === undefined ? [] : claims.scope.split(' ') };
  return {
    credential: 'token',
    keyId: claims.client_id,
    owner: claims.sub,
    grants,
    expanded: expandGrants(deps.config.catalog, grants),
    expiresAt: new Date(claims.exp * 1000).toISOString(),
  };
}
