import { describe, expect, it } from 'vitest';
import { expiryBounds, expiryDetails, type KeyExpiryFacts, presetDays, resolveExpiry, toLocalInput } from '../../../console/src/expiry.js';
import { mayGrantPermission, mayGrantRole, type Me, roleScopeProblem } from '../../../console/src/grants.js';

const format = (iso: string) => iso.slice(0, 16).replace('T', ' ');
const NOW = new Date('2026-12-05T09:00:00.000Z');

function facts(overrides: Partial<KeyExpiryFacts>): KeyExpiryFacts {
  return {
    status: 'active',
    expiresAt: '2027-06-05T09:00:00.000Z',
    inactivityExpiresAt: '2027-03-05T09:00:00.000Z',
    effectiveExpiresAt: '2027-03-05T09:00:00.000Z',
    expiryReason: 'inactivity',
    ...overrides,
  };
}

describe('the Details column, in Redwood’s words', () => {
  it('gives the date the key will expire if not used again, when inactivity comes first', () => {
    expect(expiryDetails(facts({}), format)).toBe('Will expire on 2027-03-05 09:00 if not used again');
  });

  it('says the fixed expiry comes first, with its date, when it does', () => {
    const key = facts({ expiresAt: '2027-01-05T09:00:00.000Z', effectiveExpiresAt: '2027-01-05T09:00:00.000Z', expiryReason: 'expires_at' });
    expect(expiryDetails(key, format)).toBe('Expires on 2027-01-05 09:00: the fixed expiry comes before the inactivity limit');
  });

  it('says a key expired due to inactivity', () => {
    expect(expiryDetails(facts({ status: 'expired_inactive' }), format)).toBe('Expired due to inactivity on 2027-03-05 09:00');
  });

  it('tells a fixed expiry that has passed and a deleted key apart', () => {
    expect(expiryDetails(facts({ status: 'expired', expiryReason: 'expires_at' }), format)).toBe('Expired on 2027-06-05 09:00 (its fixed expiry)');
    expect(expiryDetails(facts({ status: 'revoked', revokedAt: '2026-12-06T10:00:00.000Z' }), format)).toBe('Deleted on 2026-12-06 10:00');
  });

  it('gives the inactivity date for a key without a fixed expiry', () => {
    expect(expiryDetails(facts({ expiresAt: null, expiryReason: 'inactivity' }), format)).toBe('Will expire on 2027-03-05 09:00 if not used again');
  });
});

describe('the expiry picker', () => {
  it('is bounded by now + 1 minute and now + the max lifetime', () => {
    expect(expiryBounds(NOW, 182)).toEqual({ min: new Date('2026-12-05T09:01:00.000Z'), max: new Date('2027-06-05T09:00:00.000Z') });
  });

  it('sends presets and custom days as ISO 8601 day durations', () => {
    expect(resolveExpiry({ kind: 'preset', days: 90 }, NOW, 182, format)).toMatchObject({ ok: true, body: { expiresIn: 'P90D' } });
    expect(resolveExpiry({ kind: 'days', days: 182 }, NOW, 182, format)).toMatchObject({ ok: true, body: { expiresIn: 'P182D' } });
  });

  it('refuses custom days past the max lifetime or below one, naming both bounds', () => {
    const over = resolveExpiry({ kind: 'days', days: 183 }, NOW, 182, format);
    expect(over).toEqual({ ok: false, message: 'At most 182 days: the expiry must lie between 2026-12-05 09:01 and 2027-06-05 09:00.' });
    expect(resolveExpiry({ kind: 'days', days: 0 }, NOW, 182, format).ok).toBe(false);
    expect(resolveExpiry({ kind: 'days', days: 1.5 }, NOW, 182, format).ok).toBe(false);
  });

  it('reads a date and time in the person’s time zone and keeps it within the bounds', () => {
    // A person in UTC+2: 11:00 local is 09:00Z.
    const inBerlin = (local: string) => new Date(`${local}:00+02:00`);
    expect(resolveExpiry({ kind: 'date', local: '2027-01-01T11:00' }, NOW, 182, format, inBerlin)).toMatchObject({ ok: true, body: { expiresAt: '2027-01-01T09:00:00.000Z' } });
    expect(resolveExpiry({ kind: 'date', local: '2026-12-05T11:00' }, NOW, 182, format, inBerlin).ok).toBe(false); // now, not now + 1 minute
    expect(resolveExpiry({ kind: 'date', local: '2026-12-05T11:01' }, NOW, 182, format, inBerlin).ok).toBe(true);
    expect(resolveExpiry({ kind: 'date', local: '2027-06-05T11:01' }, NOW, 182, format, inBerlin).ok).toBe(false);
    expect(resolveExpiry({ kind: 'date', local: 'soon' }, NOW, 182, format, inBerlin)).toEqual({ ok: false, message: 'Pick a date and time.' });
  });

  it('writes datetime-local values in the given time zone', () => {
    expect(toLocalInput(NOW, -120)).toBe('2026-12-05T11:00');
  });

  it('offers the presets that fit the max lifetime', () => {
    expect(presetDays(['P30D', 'P60D', 'P90D', 'P180D'], 182)).toEqual([30, 60, 90, 180]);
    expect(presetDays(['P30D', 'P60D', 'P90D', 'P180D'], 90)).toEqual([30, 60, 90]);
  });
});

describe('what the new-key window offers', () => {
  const user: Me = {
    owner: 'uma@example.com',
    admin: false,
    grants: { roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], permissions: ['keys:read'] },
    permissions: { 'keys:read': '*', 'cloud-accounts:read': ['acct-1'] },
  };
  const role = (name: string, scoped = false, admin = false) => ({ name, description: '', scoped, admin });

  it('offers a person only the permissions they hold on every instance', () => {
    expect(mayGrantPermission(user, 'keys:read')).toBe(true);
    expect(mayGrantPermission(user, 'cloud-accounts:read')).toBe(false);
    expect(mayGrantPermission(user, 'alerts:write')).toBe(false);
    expect(mayGrantPermission({ ...user, admin: true }, 'alerts:write')).toBe(true);
  });

  it('offers roles they hold, never an admin role to a non-admin', () => {
    expect(mayGrantRole(user, role('global-admin', false, true))).toBe(false);
    expect(mayGrantRole(user, role('global-viewer'))).toBe(false);
    expect(mayGrantRole(user, role('cloud-account-viewer', true))).toBe(true);
    expect(mayGrantRole({ ...user, admin: true }, role('global-admin', false, true))).toBe(true);
  });

  it('keeps a scoped role within the scope they hold it on', () => {
    expect(roleScopeProblem(user, 'cloud-account-viewer', ['acct-1'])).toBeUndefined();
    expect(roleScopeProblem(user, 'cloud-account-viewer', ['acct-1', 'acct-2'])).toBe('cloud-account-viewer: you do not hold it on acct-2.');
    expect(roleScopeProblem(user, 'cloud-account-viewer', '*')).toBe('cloud-account-viewer: you hold it on acct-1 only, not on all.');
    expect(roleScopeProblem({ ...user, grants: { roles: [{ role: 'cloud-account-viewer', scope: '*' }], permissions: [] } }, 'cloud-account-viewer', '*')).toBeUndefined();
  });
});
