import type { Policy } from '../deployment-config.js';
import { addDuration, parseDuration } from '../shared/durations.js';
import { ValidationError } from '../shared/errors.js';

const MINUTE = 60_000;

/** The expiry presets clients offer (SecureCloud's list); the default lifetime is the deployment's. */
export const EXPIRY_PRESETS = ['P30D', 'P60D', 'P90D', 'P180D'] as const;

/** The earliest a key may expire: a minute from when it is created or edited. */
export const MIN_LIFETIME = 'PT1M';

/**
 * What GET /v1/policy shows: the bounds every create, edit, reset and rotation is held to, so
 * that clients (and the console) can show them (Redwood's "Max Key Lifespan", "Not Accessed
 * Expiration") instead of learning them from a 400.
 */
export function describePolicy(policy: Policy, limits: { metaMaxBytes: number; metaMaxDepth: number; maxTags: number }) {
  return {
    maxLifetime: policy.maxLifetime,
    defaultLifetime: policy.defaultLifetime,
    minLifetime: MIN_LIFETIME,
    notAccessedPeriod: policy.notAccessedPeriod,
    requireExpiry: policy.requireExpiry,
    expiryPresets: [...EXPIRY_PRESETS],
    retention: policy.retention,
    maxResetGracePeriod: policy.maxResetGracePeriod,
    maxRotationOverlap: policy.maxRotationOverlap,
    metadata: limits,
  };
}

/**
 * Turns `expiresAt` / `expiresIn` into the stored expiry, enforcing the policy bounds:
 * at least a minute from now, at most the max lifetime from now.
 */
export function resolveExpiry(
  policy: Policy,
  now: Date,
  input: { expiresAt?: string | null | undefined; expiresIn?: string | undefined },
): string | null | undefined {
  if (input.expiresAt !== undefined && input.expiresIn !== undefined) {
    throw new ValidationError('give expiresAt or expiresIn, not both', 'invalid_expiry');
  }
  let at: Date;
  if (input.expiresIn !== undefined) {
    at = addDuration(now, parseDuration(input.expiresIn, 'expiresIn'));
  } else if (input.expiresAt === null) {
    if (policy.requireExpiry) throw new ValidationError('this deployment requires every key to expire: give expiresAt or expiresIn', 'invalid_expiry');
    return null;
  } else if (input.expiresAt !== undefined) {
    at = new Date(input.expiresAt);
  } else {
    return undefined;
  }
  if (at.getTime() < now.getTime() + MINUTE) {
    throw new ValidationError(`expiry ${at.toISOString()} is too soon: it must be at least one minute from now`, 'invalid_expiry');
  }
  const latest = addDuration(now, policy.maxLifetime);
  if (at > latest) {
    throw new ValidationError(
      `expiry ${at.toISOString()} is beyond the maximum lifetime of ${policy.maxLifetime}: it must be no later than ${latest.toISOString()}`,
      'invalid_expiry',
    );
  }
  return at.toISOString();
}
