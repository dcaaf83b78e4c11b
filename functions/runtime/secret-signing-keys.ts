import * as z from 'zod';
import { deploymentConfig } from '../deployment-config.js';
import { issuerUrlSchema } from '../signing/issuer.js';
import { ownKeyJwtTrust } from '../signing/key-jwt-trust.js';
import { SigningKeySecret } from '../signing/signing-key-secret.js';
import { SigningKeyRing } from '../signing/signing-keys.js';
import { settingsFor } from '../signing/token-settings.js';
import type { Deps } from './deps.js';
import { readEnvironment } from './read-environment.js';

/**
 * The signing keys of a route whose contract says `tokens: 'signing-keys'` (token endpoints, key
 * create, reset and rotate, the JWKS routes): ISSUER_URL, and SIGNING_KEYS_SECRET_ARN, the secret
 * they are read from on first use (infra/signing-keys.ts sets both from the same route entry).
 * JWT-format keys are verified with the function's own keys.
 *
 * Only those routes' handlers import this module (they pass it to lambdaHandler), so only their
 * bundles carry the Secrets Manager client; every other function's bundle is about 37 KB smaller
 * (test/unit/architecture.test.ts keeps it so). lambdaHandler refuses a signing-keys route that
 * does not pass it.
 */
const signingEnvironment = z.object({ ISSUER_URL: issuerUrlSchema, SIGNING_KEYS_SECRET_ARN: z.string().min(1) });

export function secretSigningKeys(): Pick<Deps, 'tokens' | 'keyJwts'> {
  const env = readEnvironment(signingEnvironment);
  const settings = settingsFor(deploymentConfig.tokens);
  const tokens = { issuer: env.ISSUER_URL, keys: new SigningKeyRing(new SigningKeySecret(env.SIGNING_KEYS_SECRET_ARN), settings), settings };
  return { tokens, keyJwts: ownKeyJwtTrust(tokens) };
}
