import { type KeyJwtTrust, ownKeyJwtTrust } from '../signing/key-jwt-trust.js';
import type { Signer } from '../signing/signing-keys.js';
import { type HoldsTokens, tokenDeps } from '../signing/token-deps.js';

/**
 * Where JWT-format keys get their signing key and issuer (create, reset) and where a verifier
 * gets the keys that verify them, from explicit dependencies only (set by functions/runtime/,
 * the local run or tests; nothing here reads the environment):
 *   deps.keyJwts   the trust the composition root chose (remote for functions without the
 *                  signing keys, own keys for those that hold them, the authorizer's issuer);
 *   deps.tokens    otherwise, a process that holds the signing keys trusts its own.
 */
export function keyJwtTrust(deps: HoldsTokens & { keyJwts?: KeyJwtTrust | undefined }): KeyJwtTrust {
  if (deps.keyJwts) return deps.keyJwts;
  if (deps.tokens) return ownKeyJwtTrust(deps.tokens);
  throw new Error('keygate is misconfigured: this function was given no trust for JWT-format keys (deps.keyJwts)');
}

/** What signs a new JWT-format key at `now`: the current token signing key, under keygate's issuer. */
export async function keyJwtSigner(deps: HoldsTokens, now: Date): Promise<{ issuer: string; signer: Signer }> {
  const tokens = tokenDeps(deps);
  return { issuer: tokens.keyIssuer ?? tokens.issuer, signer: await tokens.keys.signer(now) };
}
