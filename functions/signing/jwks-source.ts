import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import { BoundedMap } from '../shared/bounded-map.js';

/**
 * Where a verifier gets the public keys it trusts: in memory from keygate's own signing-key
 * document (keygate's functions, the local run), or fetched from a JWKS URL and cached (the
 * authorizer in another stack; see functions/signing/remote-jwks.ts).
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

/**
 * The verifier of a key set, built once per set: createLocalJWKSet imports a public key on its
 * first use and keeps it, so a verifier built per JWT imported the key on every verification
 * (about 60% of a verification's time, measured by npm run bench). Keyed by the keys themselves,
 * so a rotation gets a verifier of its own; a few recent sets are kept. A JWKS object seen before
 * is looked up by identity first: the signing-key ring and RemoteJwks hand out the same object
 * while the keys stay the same, so no JWT pays for serializing them. Access tokens and
 * JWT-format keys share it (their key sets differ, so do their verifiers).
 */
export type LocalVerifier = ReturnType<typeof createLocalJWKSet>;
const verifiers = new BoundedMap<LocalVerifier>(8);
const verifiersByObject = new WeakMap<JSONWebKeySet, LocalVerifier>();

export function localVerifier(jwks: JSONWebKeySet): LocalVerifier {
  const known = verifiersByObject.get(jwks);
  if (known) return known;
  const id = JSON.stringify(jwks.keys);
  let verifier = verifiers.get(id);
  if (!verifier) {
    verifier = createLocalJWKSet(jwks);
    verifiers.set(id, verifier);
  }
  verifiersByObject.set(jwks, verifier);
  return verifier;
}
