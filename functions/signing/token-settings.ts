import { deploymentConfig, type Policy, type TokenPolicy } from '../deployment-config.js';
import { addDuration } from '../shared/durations.js';

/**
 * The token policy of the deployment config, turned into the numbers the code uses, with the
 * timing rules of signing-key rotation derived in one place:
 *
 *   every keygate process re-reads the signing keys at least every KEY_SET_CACHE_MS;
 *   verifiers cache the JWKS for jwksMaxAge (we tell them so in Cache-Control), except API
 *   Gateway's HTTP API JWT authorizer, which ignores Cache-Control (see API_GATEWAY_JWKS_CACHE_MS);
 *   so a new key is published `publishAhead` = cache + verifier cache + margin before it signs:
 *   by then every keygate process signs with it and every verifier has seen it.
 *
 *   A replaced key stops signing when its successor activates; the last token it signed
 *   expires a token lifetime later. It stays published for that long plus VERIFIER_CLOCK_SKEW,
 *   for verifiers whose clock runs behind.
 */
export const KEY_SET_CACHE_MS = 5 * 60_000;
export const VERIFIER_CLOCK_SKEW_MS = 5 * 60_000;
/** Time the rotation itself may take between writing the new key and making it current. */
export const ROTATION_MARGIN_MS = 5 * 60_000;
/**
 * How long API Gateway's HTTP API JWT authorizer may keep an issuer's public keys: "API Gateway
 * can cache the public key for two hours" (AWS, "Control access to HTTP APIs with JWT authorizers
 * in API Gateway"). It is not documented to re-read the JWKS when a token names an unknown key,
 * so a new key must be published at least this long before it signs. That authorizer verifies
 * RSA signatures only, so this applies to RS256 deployments; others keep jwksMaxAge.
 */
export const API_GATEWAY_JWKS_CACHE_MS = 2 * 3_600_000;

const MIN_LIFETIME_MS = 60_000;
const MAX_LIFETIME_MS = 24 * 3_600_000;

export interface TokenSettings {
  lifetimeSeconds: number;
  audience: string;
  algorithm: TokenPolicy['algorithm'];
  jwksMaxAgeSeconds: number;
  /** The longest any verifier may hold a copy of the JWKS: jwksMaxAge, or API Gateway's cache for RS256. */
  verifierCacheMs: number;
  /** How long before it signs a new key is published. */
  publishAheadMs: number;
  /** How long after it stops signing a key stays published. */
  keepPublishedMs: number;
  rotationIntervalMs: number;
  /** The key policy's maxLifetime: how long a JWT-format key a signing key signed can live. */
  keyMaxLifetime: string;
}

function durationMs(text: string, field: string): number {
  let ms: number;
  try {
    ms = addDuration(new Date(0), text).getTime();
  } catch {
    throw new Error(`tokens.${field} must be an ISO 8601 duration such as PT15M; got "${text}"`);
  }
  if (!(ms > 0)) throw new Error(`tokens.${field} must be a positive duration; got "${text}"`);
  return ms;
}

/**
 * Throws (at cold start, where it is called) when the policy is not workable. `keys`: the key
 * policy whose maxLifetime bounds JWT-format keys (the deployment's, unless a test gives one).
 */
export function tokenSettings(policy: TokenPolicy, keys: Pick<Policy, 'maxLifetime'> = deploymentConfig.policy): TokenSettings {
  const lifetimeMs = durationMs(policy.lifetime, 'lifetime');
  if (lifetimeMs < MIN_LIFETIME_MS || lifetimeMs > MAX_LIFETIME_MS || lifetimeMs % 1000 !== 0) {
    throw new Error(`tokens.lifetime must be whole seconds between PT1M and PT24H; got "${policy.lifetime}"`);
  }
  const jwksMaxAgeMs = durationMs(policy.jwksMaxAge, 'jwksMaxAge');
  if (jwksMaxAgeMs % 1000 !== 0) throw new Error(`tokens.jwksMaxAge must be whole seconds; got "${policy.jwksMaxAge}"`);
  const verifierCacheMs = policy.algorithm === 'RS256' ? Math.max(jwksMaxAgeMs, API_GATEWAY_JWKS_CACHE_MS) : jwksMaxAgeMs;
  const publishAheadMs = KEY_SET_CACHE_MS + verifierCacheMs + ROTATION_MARGIN_MS;
  const rotationIntervalMs = durationMs(policy.rotationInterval, 'rotationInterval');
  if (rotationIntervalMs <= publishAheadMs) {
    throw new Error(`tokens.rotationInterval (${policy.rotationInterval}) must be longer than the time a new key is published before it signs (${publishAheadMs / 60_000} minutes)`);
  }
  if (policy.audience.trim() === '') throw new Error('tokens.audience must not be empty');
  return {
    lifetimeSeconds: lifetimeMs / 1000,
    audience: policy.audience,
    algorithm: policy.algorithm,
    jwksMaxAgeSeconds: jwksMaxAgeMs / 1000,
    verifierCacheMs,
    publishAheadMs,
    keepPublishedMs: lifetimeMs + VERIFIER_CLOCK_SKEW_MS,
    rotationIntervalMs,
    keyMaxLifetime: keys.maxLifetime,
  };
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
