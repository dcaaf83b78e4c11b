import { join } from 'node:path';
import { deploymentConfig } from '../functions/deployment-config.js';
import { type Clock, systemClock } from '../functions/shared/clock.js';
import { settingsFor } from '../functions/signing/token-settings.js';
import { SigningKeyFile } from '../functions/signing/signing-key-file.js';
import { SigningKeyRing } from '../functions/signing/signing-keys.js';
import type { TokenDeps } from '../functions/signing/token-deps.js';
import { LOCAL_DIR } from './local-data.js';

/**
 * The token endpoints on a laptop: the issuer is the local gateway's own URL, and the signing
 * keys are a 0600 file under `.keygate/` (created with its first key on first use). On AWS
 * the same handlers read them from Secrets Manager instead (infra/signing-keys.ts).
 */
export const SIGNING_KEYS_FILE = join(LOCAL_DIR, 'signing-keys.json');

export function localSigningKeyFile(path = SIGNING_KEYS_FILE, clock: Clock = systemClock): SigningKeyFile {
  return new SigningKeyFile(path, settingsFor(deploymentConfig.tokens), clock);
}

/**
 * The `iss` of the local run's JWT-format keys. Not the gateway's URL: that names the port, and a
 * key must keep working when keygate restarts on another PORT (its signing key is kept in
 * .keygate/). Access tokens and the discovery documents keep the URL: they must point at it.
 */
export const LOCAL_KEY_ISSUER = 'urn:keygate:local';

export function localTokenDeps(issuer: string, options: { path?: string; clock?: Clock; keyIssuer?: string } = {}): TokenDeps {
  const settings = settingsFor(deploymentConfig.tokens);
  return {
    issuer,
    ...(options.keyIssuer === undefined ? {} : { keyIssuer: options.keyIssuer }),
    keys: new SigningKeyRing(localSigningKeyFile(options.path, options.clock), settings),
    settings,
  };
}
