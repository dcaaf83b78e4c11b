import { decodeProtectedHeader, errors, type JSONWebKeySet, jwtVerify } from 'jose';
import * as z from 'zod';
import { roleGrantSchema } from '../permissions/grants.js';
import { signJwt } from '../signing/jws-sign.js';
import type { Signer } from '../signing/signing-keys.js';
import { KEY_ID } from '../shared/ids.js';
import { localVerifier } from '../signing/jwks-source.js';
import { onFirstUse } from '../shared/on-first-use.js';

/**
 * JWT-format keys (`"format": "jwt"`): the key itself is a JWS signed with keygate's current
 * token signing key, naming its key id, owner, grants and expiry. It is still a key like any
 * other: every use reads the stored record, which decides (hash, status, grants).
 *
 *   header   alg (the signing key's), kid, typ: kg-key+jwt
 *   claims   iss, sub (owner), key_id, grants { roles, permissions } as at issue, iat,
 *            exp (the key's expiresAt at issue), jti (256 random bits, new at every reset)
 *
 * It is never an access token, and an access token is never a key: each verification pins its
 * own `typ`. It carries no `aud`, `client_id` or `scope` either, so an RFC 9068 verifier or API
 * Gateway's JWT authorizer (which needs `aud` or `client_id` to match) refuses it even without
 * looking at `typ`. The grants in it are informational: they go stale after a PATCH, and
 * keygate reads the stored ones.
 */
export const KEY_JWT_TYPE = 'kg-key+jwt';

/** Longer strings are refused at issue (400) and at use: Authorization headers have limits. */
export const MAX_KEY_JWT_LENGTH = 4096;

const REQUIRED_CLAIMS = ['iss', 'sub', 'key_id', 'grants', 'iat', 'exp', 'jti'];

const keyJwtClaimsSchema = onFirstUse(() =>
  z.object({
    iss: z.string(),
    /** The key's owner. */
    sub: z.string(),
    key_id: z.string().regex(KEY_ID),
    /** As the key held them when this JWT was issued; the stored grants are authoritative. */
    grants: z.object({ roles: z.array(roleGrantSchema.unwrap()), permissions: z.array(z.string()) }),
    iat: z.number().int(),
    exp: z.number().int(),
    jti: z.string().min(1),
  }),
);

export type KeyJwtClaims = z.infer<ReturnType<typeof keyJwtClaimsSchema>>;

/** One node:crypto sign on the cached key (functions/signing/jws-sign.ts); verified with jose (verifyKeyJwt). */
export function signKeyJwt(signer: Signer, claims: KeyJwtClaims): string {
  return signJwt(signer, KEY_JWT_TYPE, claims);
}

/** A JWS compact serialization: three base64url parts. */
export const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** jose's reading of `typ` (RFC 7515 §4.1.9): case-insensitive, `application/` implied. */
function normalizedType(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.includes('/') ? lower : `application/${lower}`;
}

/**
 * Whether a presented credential claims to be a JWT-format key (by its unverified header): only
 * for choosing the verification, which then pins the type itself.
 */
export function isKeyJwt(text: string): boolean {
  if (!JWS_COMPACT.test(text)) return false;
  try {
    const { typ } = decodeProtectedHeader(text);
    return typeof typ === 'string' && normalizedType(typ) === normalizedType(KEY_JWT_TYPE);
  } catch {
    return false;
  }
}

/** Why a JWT-format key was refused before any read; logged or counted, never shown to its bearer. */
export class InvalidKeyJwtError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`JWT-format key refused: ${reason}`, options);
    this.name = 'InvalidKeyJwtError';
  }
}

export interface KeyJwtPolicy {
  /** The issuer, or the issuers (the current one and earlier ones still accepted). */
  issuer: string | readonly string[];
  jwks: JSONWebKeySet;
  now: Date;
}

export interface VerifiedKeyJwt {
  claims: KeyJwtClaims;
  /**
   * `exp` has passed. The signature, type and issuer did verify (jose checks them before the
   * times), so the caller still looks the key up and tells a holder of the right string why.
   */
  expired: boolean;
}

/**
 * Checks a JWT-format key offline: the algorithm (only those of keygate's keys: never `none` or
 * an HMAC), the signing key (by `kid`), the issuer, the type and the claims' shape. A JWT that
 * fails here costs no table read. Passing says only that keygate issued it: the stored record
 * decides whether it still works.
 */
export async function verifyKeyJwt(token: string, policy: KeyJwtPolicy): Promise<VerifiedKeyJwt> {
  if (token.length > MAX_KEY_JWT_LENGTH) throw new InvalidKeyJwtError('longer than any key keygate issues');
  const algorithms = [...new Set(policy.jwks.keys.map((k) => k.alg).filter((alg): alg is string => alg !== undefined))];
  if (algorithms.length === 0) throw new InvalidKeyJwtError('no signing key is published');
  let payload: unknown;
  let expired = false;
  try {
    ({ payload } = await jwtVerify(token, localVerifier(policy.jwks), {
      algorithms,
      issuer: typeof policy.issuer === 'string' ? policy.issuer : [...policy.issuer],
      typ: KEY_JWT_TYPE,
      currentDate: policy.now,
      requiredClaims: REQUIRED_CLAIMS,
    }));
  } catch (error) {
    if (!(error instanceof errors.JWTExpired)) throw new InvalidKeyJwtError((error as { code?: string }).code ?? 'ERR_UNKNOWN', { cause: error });
    payload = error.payload;
    expired = true;
  }
  const claims = keyJwtClaimsSchema().safeParse(payload);
  if (!claims.success) throw new InvalidKeyJwtError('claims do not have the keygate shape');
  return { claims: claims.data, expired };
}
