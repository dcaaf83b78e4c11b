import { deploymentConfig } from '../functions/deployment-config.js';
import { settingsFor } from '../functions/signing/token-settings.js';
import { KEY_SET_CACHE_MS } from '../functions/signing/token-settings.js';
import { displayPath, runCommand } from './local-data.js';
import { localSigningKeyFile, SIGNING_KEYS_FILE } from './local-tokens.js';

/**
 * `npm run keys:rotate`: the local run's signing-key rotation (on AWS, the rotation schedule of
 * the signing-key secret does the same). Safe while `npm start` runs: the new key is published
 * at once and signs only once every cache has seen it; keys no token needs lose their private
 * half (their public half verifies JWT-format keys until the last one they signed expires).
 */
async function main(): Promise<void> {
  const settings = settingsFor(deploymentConfig.tokens);
  const { added, removed, forgotten, set } = await localSigningKeyFile().rotate();
  const minutes = (ms: number) => `${Math.round(ms / 60_000)} min`;
  console.log(
    [
      `New signing key ${added.kid} (${added.alg}) written to ${displayPath(SIGNING_KEYS_FILE)}.`,
      `It is in the JWKS within ${minutes(KEY_SET_CACHE_MS)} and signs tokens from ${added.activatesAt} (${minutes(settings.publishAheadMs)} from now).`,
      removed.length > 0
        ? `Retired ${removed.length} key(s) whose tokens have all expired (private half deleted, public half kept for JWT-format keys): ${removed.join(', ')}.`
        : 'No key was old enough to retire.',
      ...(forgotten.length > 0 ? [`Forgot ${forgotten.length} retired key(s) no JWT-format key can still need: ${forgotten.join(', ')}.`] : []),
      `Keys in the file: ${set.keys.length} signing, ${set.retired?.length ?? 0} retired.`,
    ].join('\n'),
  );
}

runCommand(main);
