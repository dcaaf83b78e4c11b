import type { SigningKeyRing } from './signing-keys.js';
import type { TokenSettings } from './token-settings.js';

/**
 * What the token endpoints need on top of Deps. Kept out of Deps' required fields so the
 * management routes are built exactly as before: the Lambda entry points build it from the
 * environment (tokens/environment.ts), the local run and tests put it into `deps.tokens`.
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
