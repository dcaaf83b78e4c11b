import { describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { effectiveExpiry, keyStatus, ttlFor } from '../../functions/keys/key-model.js';
import { resolveExpiry } from '../../functions/keys/key-expiry-policy.js';
import { addDuration } from '../../functions/shared/durations.js';
import { ValidationError } from '../../functions/shared/errors.js';

const policy = deploymentConfig.policy;
const now = new Date('2026-08-31T12:00:00.000Z');

describe('expiry policy', () => {
  it('applies ISO 8601 durations in UTC calendar arithmetic', () => {
    expect(addDuration(now, 'P6M').toISOString()).toBe('2027-02-28T12:00:00.000Z');
    expect(addDuration(now, 'P30D').toISOString()).toBe('2026-09-30T12:00:00.000Z');
    expect(addDuration(now, 'PT1H').toISOString()).toBe('2026-08-31T13:00:00.000Z');
  });

  it('accepts expiresIn and expiresAt within the bounds', () => {
    expect(resolveExpiry(policy, now, { expiresIn: 'P90D' })).toBe('2026-11-29T12:00:00.000Z');
    expect(resolveExpiry(policy, now, { expiresAt: '2026-09-01T00:00:00+02:00' })).toBe('2026-08-31T22:00:00.000Z');
    expect(resolveExpiry(policy, now, { expiresIn: 'P6M' })).toBe('2027-02-28T12:00:00.000Z');
    expect(resolveExpiry(policy, now, { expiresIn: 'PT1M' })).toBe('2026-08-31T12:01:00.000Z');
    expect(resolveExpiry(policy, now, {})).toBeUndefined();
  });

  it.each([
    [{ expiresIn: 'PT59S' }, /at least one minute/],
    [{ expiresAt: '2026-08-31T11:00:00Z' }, /at least one minute/],
    [{ expiresIn: 'P7M' }, /maximum lifetime of P6M/],
    [{ expiresIn: 'P6M1D' }, /maximum lifetime/],
    [{ expiresIn: 'thirty days' }, /ISO 8601 duration/],
    [{ expiresIn: '-P1D' }, /positive/],
    [{ expiresIn: 'P1D', expiresAt: '2026-09-30T00:00:00Z' }, /not both/],
    [{ expiresAt: null }, /requires every key to expire/],
  ])('refuses %j', (input, message) => {
    expect(() => resolveExpiry(policy, now, input)).toThrow(ValidationError);
    expect(() => resolveExpiry(policy, now, input)).toThrow(message);
  });

  it('allows no fixed expiry only where the policy says so', () => {
    expect(resolveExpiry({ ...policy, requireExpiry: false }, now, { expiresAt: null })).toBeNull();
  });
});

describe('effective expiry and status', () => {
  const key = { expiresAt: '2026-12-01T00:00:00.000Z', inactiveAt: '2026-11-01T00:00:00.000Z' };

  it('is the earlier of the fixed expiry and the inactivity expiry, with its reason', () => {
    expect(effectiveExpiry(key)).toEqual({ at: '2026-11-01T00:00:00.000Z', reason: 'inactivity' });
    expect(effectiveExpiry({ ...key, inactiveAt: '2027-01-01T00:00:00.000Z' })).toEqual({ at: '2026-12-01T00:00:00.000Z', reason: 'expires_at' });
    expect(effectiveExpiry({ expiresAt: null, inactiveAt: '2027-01-01T00:00:00.000Z' })).toEqual({ at: '2027-01-01T00:00:00.000Z', reason: 'inactivity' });
  });

  it('says which expiry ended the key', () => {
    expect(keyStatus(key, new Date('2026-10-31T23:59:59.999Z'))).toBe('active');
    expect(keyStatus(key, new Date('2026-11-01T00:00:00.000Z'))).toBe('expired_inactive');
    expect(keyStatus({ ...key, inactiveAt: '2027-01-01T00:00:00.000Z' }, new Date('2026-12-01T00:00:00.000Z'))).toBe('expired');
    expect(keyStatus({ ...key, revokedAt: '2026-10-01T00:00:00.000Z' }, new Date('2026-10-02T00:00:00.000Z'))).toBe('revoked');
  });

  it('sets TTL to the end of the key plus the retention period', () => {
    expect(ttlFor(key, policy)).toBe(Date.parse('2026-12-01T00:00:00.000Z') / 1000);
    expect(ttlFor({ ...key, revokedAt: '2026-10-01T00:00:00.000Z' }, policy)).toBe(Date.parse('2026-10-31T00:00:00.000Z') / 1000);
  });
});
