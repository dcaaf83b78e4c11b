import * as z from 'zod';
import { deploymentConfig, type TokenPolicy } from '../deployment-config.js';
import type { Deps } from '../shared/deps.js';
import { issuerEnvironment, parseEnvironment } from './issuer.js';
import { SigningKeySecret } from './signing-key-secret.js';
import { SigningKeyRing } from './signing-keys.js';
import type { TokenDeps } from './token-deps.js';
import { type TokenSettings, tokenSettings } from './token-settings.js';

/**
 * The token functions' configuration on Lambda, from the environment the stack sets, validated
 * once per cold start like functions/http/environment.ts; nothing defaults. The local run and
 * tests pass `deps.tokens` instead and never reach this. The issuer alone: issuer.ts.
 */
const signingEnvironment = issuerEnvironment.extend({ SIGNING_KEYS_SECRET_ARN: z.string().min(1) });

const settingsByPolicy = new WeakMap<TokenPolicy, TokenSettings>();

/** The deployment's token settings, checked once per policy object. */
export function settingsFor(policy: TokenPolicy): TokenSettings {
  let settings = settingsByPolicy.get(policy);
  if (!settings) {
    settings = tokenSettings(policy);
    settingsByPolicy.set(policy, settings);
  }
  return settings;
}

let cachedTokens: TokenDeps | undefined;

export function tokenDeps(deps: Deps): TokenDeps {
  if (deps.tokens) return deps.tokens;
  if (!cachedTokens) {
    const env = parseEnvironment(signingEnvironment);
    const settings = settingsFor(deploymentConfig.tokens);
    cachedTokens = {
      issuer: env.ISSUER_URL,
      // The secret is read (and Secrets Manager's client loaded) on the first use of the keys.
      keys: new SigningKeyRing(new SigningKeySecret(env.SIGNING_KEYS_SECRET_ARN), settings),
      settings,
    };
  }
  return cachedTokens;
}
