import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import * as z from 'zod';
import type { PeoplePolicy } from '../deployment-config.js';
import type { Catalog } from '../permissions/catalog.js';
import type { PersonIdentity } from '../audit/audit-model.js';
import { type Expanded, expandGrants, type Grants } from '../permissions/grants.js';
import { AuthenticationError } from '../shared/errors.js';
import { onFirstUse } from '../shared/on-first-use.js';

/**
 * A person signed in to the console: their OpenID Connect ID token is the third kind of
 * credential the management API takes, beside keys (access tokens stay refused there).
 *
 * Why the ID token and not the issuer's access token: it is the token whose audience is the
 * console's own client id (pinned here), and the one that carries the owner claim (email) and the
 * groups on every issuer this supports. A Cognito access token has no `aud` and no email, and
 * other issuers' access tokens are often opaque or meant for a different resource. keygate is
 * the console's own back end, so the ID token's audience is exactly right.
 *
 * Pinned: the algorithm (policy), the issuer, the audience (the console client id), expiry and
 * issued-at, `token_use: id` where the issuer sets it (Cognito), and the header `typ` where
 * present must not name another kind of JWT (`at+jwt`, keygate's `kg-key+jwt`).
 */
export interface PersonTrust {
  issuer: string;
  clientId: string;
  policy: PeoplePolicy;
  /** The issuer's signing keys (jose's remote JWKS: cached, re-read when a token names an unknown key). */
  keys: JWTVerifyGetKey;
  /** Its discovery document (the console's sign-in reads the endpoints from it). */
  metadata: () => Promise<IssuerMetadata>;
}

const discoverySchema = onFirstUse(() =>
  z.object({
    issuer: z.string(),
    jwks_uri: z.url(),
    authorization_endpoint: z.url(),
    token_endpoint: z.url(),
    end_session_endpoint: z.url().optional(),
  }),
);
export type IssuerMetadata = z.infer<ReturnType<typeof discoverySchema>>;
const DISCOVERY_TIMEOUT_MS = 3_000;

/**
 * The issuer's discovery document (OpenID Connect Discovery §4: it must name the same issuer),
 * read once per process; a failed read is retried at the next call, never kept.
 */
export function issuerMetadata(issuer: string, fetchImpl: typeof fetch = fetch): () => Promise<IssuerMetadata> {
  let held: Promise<IssuerMetadata> | undefined;
  const read = async (): Promise<IssuerMetadata> => {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS), headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const document = discoverySchema().parse(await response.json());
    if (document.issuer !== issuer) throw new Error(`${url} names the issuer ${document.issuer}, not ${issuer}`);
    return document;
  };
  return () =>
    (held ??= read().catch((error: unknown) => {
      held = undefined;
      throw error;
    }));
}

/** The issuer's signing keys, found from its discovery document, then held by jose's remote JWKS set. */
export function discoveredIssuerKeys(metadata: () => Promise<IssuerMetadata>): JWTVerifyGetKey {
  let remote: JWTVerifyGetKey | undefined;
  return async (header, token) => {
    remote ??= createRemoteJWKSet(new URL((await metadata()).jwks_uri), { timeoutDuration: DISCOVERY_TIMEOUT_MS });
    return remote(header, token);
  };
}

export interface PersonCaller {
  credential: 'person';
  person: PersonIdentity;
  owner: string;
  grants: Grants;
  expanded: Expanded;
  expiresAt: string;
}

/** Trust in one issuer and client: its keys and endpoints are discovered on first use. */
export function personTrust(issuer: string, clientId: string, policy: PeoplePolicy): PersonTrust {
  const metadata = issuerMetadata(issuer);
  return { issuer, clientId, policy, metadata, keys: discoveredIssuerKeys(metadata) };
}

/** Seconds of clock skew tolerated between keygate and the issuer. */
const CLOCK_TOLERANCE_S = 30;

/** True when an unverified JWT says it comes from this issuer: which verification applies is decided by it. */
export function claimsIssuer(token: string, issuer: string): boolean {
  try {
    return decodeJwt(token).iss === issuer;
  } catch {
    return false;
  }
}

const ownerSchema = onFirstUse(() => z.string().trim().min(1).max(256));

function stringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** What a verified ID token's claims grant: the admin role to members of the admin group, the member grants to the rest. */
export function personGrants(policy: PeoplePolicy, adminRole: string, payload: JWTPayload): Grants {
  if (stringArray(payload[policy.groupsClaim]).includes(policy.adminGroup)) return { roles: [{ role: adminRole }], permissions: [] };
  return { roles: policy.memberGrants.roles.map((r) => ({ ...r })), permissions: [...policy.memberGrants.permissions] };
}

async function verifiedPayload(token: string, trust: PersonTrust, now: Date): Promise<JWTPayload> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    throw new AuthenticationError('invalid', 'the sign-in token is not valid');
  }
  if (header.typ !== undefined && !/^(application\/)?jwt$/i.test(header.typ)) {
    throw new AuthenticationError('invalid', 'the sign-in token is not an ID token');
  }
  const { payload } = await jwtVerify(token, trust.keys, {
    issuer: trust.issuer,
    audience: trust.clientId,
    algorithms: trust.policy.algorithms,
    currentDate: now,
    clockTolerance: CLOCK_TOLERANCE_S,
    requiredClaims: ['exp', 'iat', 'sub'],
  });
  return payload;
}

/**
 * Verifies a signed-in person's ID token and resolves it to a caller. Any failure is an
 * AuthenticationError (401); the reason never echoes the token.
 */
export async function verifyPersonToken(token: string, trust: PersonTrust, catalog: Catalog, adminRole: string, now: Date): Promise<PersonCaller> {
  let payload: JWTPayload;
  try {
    payload = await verifiedPayload(token, trust, now);
  } catch (error) {
    if (error instanceof AuthenticationError) throw error;
    if (error instanceof joseErrors.JWTExpired) throw new AuthenticationError('expired', 'the sign-in has expired: sign in again');
    if (error instanceof joseErrors.JOSEError) throw new AuthenticationError('invalid', 'the sign-in token is not valid');
    throw error;
  }
  if (payload.token_use !== undefined && payload.token_use !== 'id') throw new AuthenticationError('invalid', 'the sign-in token is not an ID token');
  // An email the issuer has not verified could be anybody's: it must not name an owner.
  if (trust.policy.ownerClaim === 'email' && payload.email_verified === false) {
    throw new AuthenticationError('invalid', 'the sign-in email address is not verified');
  }
  const owner = ownerSchema().safeParse(payload[trust.policy.ownerClaim]);
  if (!owner.success) throw new AuthenticationError('invalid', `the sign-in token has no ${trust.policy.ownerClaim} claim to name an owner by`);
  const grants = personGrants(trust.policy, adminRole, payload);
  const email = typeof payload.email === 'string' ? payload.email : undefined;
  return {
    credential: 'person',
    person: { issuer: trust.issuer, subject: payload.sub ?? '', ...(email === undefined ? {} : { email }) },
    owner: owner.data,
    grants,
    expanded: expandGrants(catalog, grants),
    expiresAt: new Date((payload.exp ?? 0) * 1000).toISOString(),
  };
}
