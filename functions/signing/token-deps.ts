import type { SigningKeyRing } from './signing-keys.js';
import type { TokenSettings } from './token-settings.js';

/**
 * The signing keys and issuer, for the functions that sign or publish (token endpoints, key
 * create and reset, the JWKS routes). Set explicitly in `deps.tokens`: by the composition root
 * (functions/runtime/) on Lambda, by the local run (dev/) and by tests.
 */
export interface TokenDeps {
  /** The issuer identifier: `iss` of every token and the base of every endpoint URL. */
  issuer: string;
  /**
   * The `iss` of JWT-format keys when it is not `issuer`: the local run's fixed identifier, so
   * its keys outlive a restart on another port. Absent: `issuer`.
   */
  keyIssuer?: string;
  keys: SigningKeyRing;
  settings: TokenSettings;
}

/** What a function needs of the dependencies to find its signing keys or issuer. */
export interface HoldsTokens {
  tokens?: TokenDeps | undefined;
  /** The issuer URL alone, for functions that hold no signing keys (metadata routes). */
  issuer?: string | undefined;
}

/** The signing keys of a function that must hold them; their absence is a wiring error. */
export function tokenDeps(deps: HoldsTokens): TokenDeps {
  if (!deps.tokens) throw new Error('keygate is misconfigured: this function was not given the signing keys (deps.tokens)');
  return deps.tokens;
}

/** The issuer URL: from the signing keys' settings, or given alone. */
export function tokenIssuer(deps: HoldsTokens): string {
  const issuer = deps.tokens?.issuer ?? deps.issuer;
  if (issuer === undefined) throw new Error('keygate is misconfigured: this function was not given the issuer URL (deps.issuer)');
  return issuer;
}
