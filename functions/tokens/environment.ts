import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { deploymentConfig, type TokenPolicy } from '../deployment-config.js';
import type { Deps } from '../shared/deps.js';
import { SigningKeySecret } from './signing-key-secret.js';
import { SigningKeyRing } from './signing-keys.js';
import type { TokenDeps } from './token-deps.js';
import { type TokenSettings, tokenSettings } from './token-settings.js';

/**
 * The token functions' configuration on Lambda, from the environment the stack sets, validated
 * once per cold start like functions/http/environment.ts; nothing defaults. The local run and
 * tests pass `deps.tokens` instead and never reach this.
 *
 * ISSUER_URL is the API's own endpoint (the stack passes the HTTP API's apiEndpoint). It is
 * not taken from the request's Host or domainName: a client must not be able to choose the
 * `iss` of the tokens it gets, or the endpoints the metadata points verifiers to.
 */
export const issuerUrlSchema = z
  .url({ protocol: /^https?$/ })
  .refine((text) => !/[?#]/.test(text), 'the issuer URL has no query or fragment (RFC 8414 §2)')
  .refine((text) => text.startsWith('https://') || /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(`${text}/`), 'the issuer URL must use https (http only for 127.0.0.1 or localhost)')
  .transform((text) => text.replace(/\/$/, ''));

const issuerEnvironment = z.object({ ISSUER_URL: issuerUrlSchema });
const signingEnvironment = issuerEnvironment.extend({ SIGNING_KEYS_SECRET_ARN: z.string().min(1) });

function parseEnvironment<S extends z.ZodType>(schema: S): z.output<S> {
  const env = schema.safeParse(process.env);
  if (!env.success) throw new Error(`keygate is misconfigured: ${env.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  return env.data;
}

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

let secretsManager: SecretsManagerClient | undefined;
let cachedIssuer: string | undefined;
let cachedTokens: TokenDeps | undefined;

/** For the metadata routes, which need no signing keys. */
export function tokenIssuer(deps: Deps): string {
  if (deps.tokens) return deps.tokens.issuer;
  cachedIssuer ??= parseEnvironment(issuerEnvironment).ISSUER_URL;
  return cachedIssuer;
}

/**
 * Whether this process holds the signing keys: the local run and tests (deps.tokens), or a
 * function whose route-table entry gives it the signing-key secret (SIGNING_KEYS_SECRET_ARN).
 */
export function holdsSigningKeys(deps: Deps): boolean {
  return deps.tokens !== undefined || process.env.SIGNING_KEYS_SECRET_ARN !== undefined;
}

export function tokenDeps(deps: Deps): TokenDeps {
  if (deps.tokens) return deps.tokens;
  if (!cachedTokens) {
    const env = parseEnvironment(signingEnvironment);
    const settings = settingsFor(deploymentConfig.tokens);
    secretsManager ??= new SecretsManagerClient({});
    cachedTokens = {
      issuer: env.ISSUER_URL,
      keys: new SigningKeyRing(new SigningKeySecret(secretsManager, env.SIGNING_KEYS_SECRET_ARN), settings),
      settings,
    };
  }
  return cachedTokens;
}
