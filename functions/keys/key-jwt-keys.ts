import { routeById } from '../contract/routes.js';
import { type FetchJwks, RemoteJwks } from '../authorizer/remote-jwks.js';
import type { Deps } from '../shared/deps.js';
import type { JwksSource } from '../shared/jwks-source.js';
import { tokenDeps } from '../tokens/environment.js';
import { holdsSigningKeys, tokenIssuer } from '../tokens/issuer.js';
import type { Signer } from '../tokens/signing-keys.js';
import type { TokenDeps } from '../tokens/token-deps.js';

/**
 * Where JWT-format keys get their signing key and issuer (create, reset) and where a verifier
 * gets the keys that verify them. Verification keys are the signing keys' public halves plus
 * retired ones (functions/tokens/signing-keys.ts): never the access-token JWKS.
 */
export interface KeyJwtTrust extends JwksSource {
  issuer: string;
}

function ownKeyJwtTrust(tokens: TokenDeps): KeyJwtTrust {
  return { issuer: tokens.keyIssuer ?? tokens.issuer, jwks: (now) => tokens.keys.keyVerificationJwks(now) };
}

/** The public document of key verification keys, served by the GetKeyJwks route. */
function keyJwksUrl(issuer: string): string {
  return `${issuer}${routeById('GetKeyJwks').path}`;
}

/** Trust in keygate's key verification keys as fetched from its issuer (kept per its Cache-Control). */
export function remoteKeyJwtTrust(issuer: string, fetchJwks?: FetchJwks): KeyJwtTrust {
  const remote = new RemoteJwks(keyJwksUrl(issuer), fetchJwks);
  return { issuer, jwks: (now) => remote.jwks(now), refresh: (now) => remote.refresh(now) };
}

const remoteByIssuer = new Map<string, KeyJwtTrust>();

/**
 * How this process verifies JWT-format keys, decided on first use (a process that only ever sees
 * `kg_` keys never fetches anything):
 *   deps.keyJwts     when the process set it (the authorizer: the issuer of its environment);
 *   own keys         in processes that hold the signing keys (local run, tests, and on Lambda
 *                    the functions given the signing-key secret);
 *   remote           keygate's other functions on Lambda fetch the key JWKS from their issuer
 *                    (ISSUER_URL), so no function reads private keys only to verify.
 */
export function keyJwtTrust(deps: Deps): KeyJwtTrust {
  if (deps.keyJwts) return deps.keyJwts;
  if (holdsSigningKeys(deps)) return ownKeyJwtTrust(tokenDeps(deps));
  const issuer = tokenIssuer(deps);
  let trust = remoteByIssuer.get(issuer);
  if (!trust) {
    trust = remoteKeyJwtTrust(issuer);
    remoteByIssuer.set(issuer, trust);
  }
  return trust;
}

/** What signs a new JWT-format key at `now`: the current token signing key, under keygate's issuer. */
export async function keyJwtSigner(deps: Deps, now: Date): Promise<{ issuer: string; signer: Signer }> {
  const tokens = tokenDeps(deps);
  return { issuer: tokens.keyIssuer ?? tokens.issuer, signer: await tokens.keys.signer(now) };
}
