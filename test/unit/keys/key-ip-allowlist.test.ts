import { describe, expect, it } from 'vitest';
import { addressAllowed, isIpAddress, normalizeAllowedIps } from '../../../functions/keys/key-ip-allowlist.js';
import { keyStatus } from '../../../functions/keys/key-model.js';

describe('IP allowlists', () => {
  it('normalizes ranges to their network address, plain addresses to one-address ranges, and mapped IPv6 to IPv4', () => {
    expect(normalizeAllowedIps(['203.0.113.7/24', '2001:DB8::1/32', '10.0.0.1', '::1', '::ffff:192.0.2.9/120', '10.0.0.1/32'])).toEqual([
      '203.0.113.0/24',
      '2001:db8::/32',
      '10.0.0.1/32',
      '::1/128',
      '192.0.2.0/24',
    ]);
    expect(normalizeAllowedIps(null)).toBeUndefined();
  });

  it.each([['0x7f000001'], ['127.1'], ['1.2.3.4/33'], ['2001:db8::/129'], ['1.2.3.4/'], ['example.com'], ['']])('refuses %j', (range) => {
    expect(() => normalizeAllowedIps([range])).toThrow(expect.objectContaining({ code: 'invalid_allowed_ips' }));
  });

  it('refuses an empty list and more than 32 ranges', () => {
    expect(() => normalizeAllowedIps([])).toThrow(/empty list/);
    expect(() => normalizeAllowedIps(Array.from({ length: 33 }, (_, i) => `10.0.${i}.0/24`))).toThrow(/at most 32/);
  });

  it('matches addresses of the same family inside a range, IPv4-mapped IPv6 as IPv4, and fails closed on anything else', () => {
    const ranges = ['203.0.113.0/24', '2001:db8::/32'];
    expect(addressAllowed(ranges, '203.0.113.200')).toBe(true);
    expect(addressAllowed(ranges, '::ffff:203.0.113.9')).toBe(true);
    expect(addressAllowed(ranges, '2001:db8:ffff::1')).toBe(true);
    expect(addressAllowed(ranges, '203.0.114.1')).toBe(false);
    expect(addressAllowed(ranges, '2001:db9::1')).toBe(false);
    expect(addressAllowed(ranges, null)).toBe(false);
    expect(addressAllowed(ranges, 'not-an-ip')).toBe(false);
    expect(addressAllowed(['0.0.0.0/0'], '::1')).toBe(false);
    expect(isIpAddress('203.0.113.9')).toBe(true);
    expect(isIpAddress('0x7f000001')).toBe(false);
  });
});

describe('the suspended status', () => {
  const key = { expiresAt: '2026-12-31T00:00:00.000Z', inactiveAt: '2027-03-01T00:00:00.000Z', suspendedAt: '2026-12-01T00:00:00.000Z' };
  it('holds until the expiry, which keeps running; a revocation wins over it', () => {
    expect(keyStatus(key, new Date('2026-12-10T00:00:00Z'))).toBe('suspended');
    expect(keyStatus(key, new Date('2026-12-31T00:00:00Z'))).toBe('expired');
    expect(keyStatus({ ...key, revokedAt: '2026-12-02T00:00:00.000Z' }, new Date('2026-12-10T00:00:00Z'))).toBe('revoked');
  });
});
