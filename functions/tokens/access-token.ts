import { type JSONWebKeySet, jwtVerify } from 'jose';
import * as z from 'zod';
import { limitsClaimSchema } from '../usage/limit-model.js';
import { roleGrantSchema } from '../permissions/grants.js';
import { signJwt } from '../signing/jws-sign.js';
import type { Signer } from '../signing/signing-keys.js';
import { localVerifier } from '../signing/jwks-source.js';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * Access tokens: JWTs in the RFC 9068 profile (`typ: at+jwt`), signed with the current signing
 * key. Verification pins everything a forger could choose: the algorithm (only those of
 * published keys, so never `none` or an HMAC), the key (by `kid`, from the JWKS), the issuer,
 * the audience and the type (so an ID token or another JWT of this issuer is not accepted).
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

export const accessTokenClaimsSchema = lazySchema(() =>
  z.object({
    iss: z.string(),
    /** The key's owner. */
    sub: z.string(),
    aud: z.union([z.string(), z.array(z.string())]),
    /** The key id. */
    client_id: z.string(),
    iat: z.number().int(),
    exp: z.number().int(),
    jti: z.string(),
    /** Space-separated `resource:access` permissions held on every instance. */
    scope: z.string().optional(),
    /** The key's roles with their instance scopes; absent when `scope` was narrowed on request. */
    roles: z.array(roleGrantSchema.unwrap()).optional(),
    /** Fingerprint of the key secret that minted the token (see secretFingerprint). */
    kg_sfp: z.string(),
    /**
     * The key's IP allowlist when it was minted (normalized CIDR ranges): the keygate authorizer
     * refuses the token from any other address. Absent: the key had none.
     */
    kg_ips: z.array(z.string()).optional(),
    /**
     * The key's rate limits and quota when it was minted (functions/usage/limit-model.ts): each use
     * of the token counts against its key's counters, with no read of the key. Absent: none.
     */
    kg_lim: limitsClaimSchema.unwrap().optional(),
  }),
);

export type AccessTokenClaims = z.infer<typeof accessTokenClaimsSchema>;

/** One node:crypto sign on the cached key (functions/signing/jws-sign.ts); verified with jose like every token. */
export function signAccessToken(signer: Signer, claims: AccessTokenClaims): string {
  return signJwt(signer, ACCESS_TOKEN_TYPE, claims);
}

export interface VerificationPolicy {
  issuer: string;
  audience: string;
  jwks: JSONWebKeySet;
  now: Date;
}

/** Why a token was refused; never shown to the token's bearer, only logged or counted. */
export class InvalidAccessTokenError extends Error {
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`access token refused: ${reason}`, options);
    this.name = 'InvalidAccessTokenError';
  }
}

/** Verifies signature and claims offline. Revocation is the caller's business (introspection). */
export async function verifyAccessToken(token: string, policy: VerificationPolicy): Promise<AccessTokenClaims> {
  const algorithms = [...new Set(policy.jwks.keys.map((k) => k.alg).filter((alg): alg is string => alg !== undefined))];
  if (algorithms.length === 0) throw new InvalidAccessTokenError('no signing key is published');
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, localVerifier(policy.jwks), {
      algorithms,
      issuer: policy.issuer,
      audience: policy.audience,
      typ: ACCESS_TOKEN_TYPE,
      currentDate: policy.now,
      requiredClaims: REQUIRED_CLAIMS,
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERR_UNKNOWN';
    throw new InvalidAccessTokenError(code, { cause: error });
  }
  const claims = accessTokenClaimsSchema.safeParse(payload);
  if (!claims.success) throw new InvalidAccessTokenError('claims do not have the keygate shape');
  return claims.data;
}
