import type { JSONWebKeySet } from 'jose';

/**
 * Where a verifier gets the public keys it trusts: in memory from keygate's own signing-key
 * document (keygate's functions, the local run), or fetched from a JWKS URL and cached (the
 * authorizer in another stack; see functions/authorizer/remote-jwks.ts).
 */
export interface JwksSource {
  jwks(now: Date): Promise<JSONWebKeySet>;
  /**
   * Re-reads the keys when a JWT names a key not in memory (a rotation the cached copy
   * predates); resolves undefined when a re-read is not due (rate-limited by the source).
   */
  refresh?(now: Date): Promise<JSONWebKeySet | undefined>;
}

/**
 * Runs `verify` against the source's keys; when it fails because the JWT names a key the copy
 * lacks (`namesUnknownKey`), re-reads once and tries again. Any other failure is final.
 */
export async function verifyWithKnownKeys<T>(
  source: JwksSource,
  now: Date,
  verify: (jwks: JSONWebKeySet) => Promise<T>,
  namesUnknownKey: (error: unknown) => boolean,
): Promise<T> {
  try {
    return await verify(await source.jwks(now));
  } catch (error) {
    if (!namesUnknownKey(error) || !source.refresh) throw error;
    const fresher = await source.refresh(now);
    if (!fresher) throw error;
    return verify(fresher);
  }
}
