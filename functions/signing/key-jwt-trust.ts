import type { JwksSource } from './jwks-source.js';
import { type FetchJwks, RemoteJwks } from './remote-jwks.js';
import type { TokenDeps } from './token-deps.js';

/**
 * Where a verifier of JWT-format keys gets the keys that verify them, and the issuer they must
 * name. Verification keys are the signing keys' public halves plus retired ones
 * (functions/signing/signing-keys.ts): never the access-token JWKS.
 */
export interface KeyJwtTrust extends JwksSource {
  issuer: string;
}

/** Trust in this process's own signing keys (it holds them: token functions, local run, tests). */
export function ownKeyJwtTrust(tokens: TokenDeps): KeyJwtTrust {
  return { issuer: tokens.keyIssuer ?? tokens.issuer, jwks: (now) => tokens.keys.keyVerificationJwks(now) };
}

/** Where keygate publishes the key verification keys: the path of the GetKeyJwks route (its contract takes it from here). */
export const KEY_JWKS_PATH = '/v1/keys/jwks.json';

function keyJwksUrl(issuer: string): string {
  return `${issuer}${KEY_JWKS_PATH}`;
}

/**
 * Trust in keygate's key verification keys as fetched from its issuer (kept per its
 * Cache-Control), for functions that hold no private keys. Nothing is fetched until a
 * JWT-format key comes: a process that only ever sees `kg_` keys never fetches anything.
 */
export function remoteKeyJwtTrust(issuer: string, fetchJwks?: FetchJwks): KeyJwtTrust {
  const remote = new RemoteJwks(keyJwksUrl(issuer), fetchJwks);
  return { issuer, jwks: (now) => remote.jwks(now), refresh: (now) => remote.refresh(now) };
}
