import { describe, expect, it } from 'vitest';
import { authenticateKey, authenticateKeyAlongside, judgeKey, lookUpKey } from '../../../functions/keys/key-authentication.js';
import { createKey, deleteKey } from '../../../functions/keys/key-lifecycle.js';
import { createKeyBodySchema } from '../../../functions/keys/schemas.js';
import { AuthenticationError } from '../../../functions/shared/errors.js';
import { DAY, keyUnitWorld, MINUTE, principalOf } from '../../support/key-unit-world.js';

const admin = principalOf('acme', { roles: [{ role: 'global-admin' }] }, 'admin');

async function reason(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AuthenticationError) return error.reason;
    throw error;
  }
  return 'accepted';
}

describe('authenticating a presented key', () => {
  it('refuses a malformed key before any read', async () => {
    const { deps, store } = keyUnitWorld();
    expect(await reason(authenticateKey(deps, 'kg_not-a-key'))).toBe('malformed');
    expect(store.calls).toEqual([]);
  });

  it('refuses a wrong secret as invalid, and reveals the state of a key only to its right secret', async () => {
    const { deps } = keyUnitWorld();
    const { key, details } = await createKey(deps, admin, createKeyBodySchema.parse({ name: 'k', permissions: ['alerts:read'] }));
    const lookup = await lookUpKey(deps, key);
    if ('refused' in lookup) throw new Error('refused offline');
    const wrong = { ...lookup.presented, secret: `${lookup.presented.secret}x` };
    await deleteKey(deps, admin, details.id);
    const record = await deps.keys?.findKey(details.id);
    expect(() => judgeKey(wrong, record, deps.clock())).toThrow(expect.objectContaining({ reason: 'invalid' }));
    expect(() => judgeKey(lookup.presented, record, deps.clock())).toThrow(expect.objectContaining({ reason: 'revoked' }));
    expect(() => judgeKey(lookup.presented, undefined, deps.clock())).toThrow(expect.objectContaining({ reason: 'invalid' }));
  });

  it('records a use at most once a minute, and each use moves the inactivity expiry', async () => {
    const { deps, store, advance } = keyUnitWorld();
    const { key, details } = await createKey(deps, admin, createKeyBodySchema.parse({ name: 'k', permissions: ['alerts:read'] }));
    for (let i = 0; i < 3; i++) await authenticateKey(deps, key);
    expect(store.calls.filter((c) => c === 'recordUse')).toHaveLength(1);
    advance(MINUTE);
    await authenticateKey(deps, key);
    expect(store.calls.filter((c) => c === 'recordUse')).toHaveLength(2);
    const stored = store.keys.get(details.id);
    expect(stored?.lastUsedAt).toBe(deps.clock().toISOString());
    expect(stored?.inactiveAt).toBe(new Date(deps.clock().getTime() + 91 * DAY).toISOString());
  });

  it('expires a key left unused for the not-accessed period', async () => {
    const { deps, advance } = keyUnitWorld();
    const { key } = await createKey(deps, admin, createKeyBodySchema.parse({ name: 'k', permissions: ['alerts:read'] }));
    advance(60 * DAY);
    expect(await reason(authenticateKey(deps, key))).toBe('accepted');
    // Three months (P3M) after that use, and never used since.
    advance(93 * DAY);
    expect(await reason(authenticateKey(deps, key))).toBe('expired_inactive');
  });

  it('reads the caller and the key it asks about together, and leaves the second unjudged', async () => {
    const { deps, store } = keyUnitWorld();
    const { key: caller } = await createKey(deps, admin, createKeyBodySchema.parse({ name: 'svc', permissions: ['key-verification:read'] }));
    const { key: asked, details } = await createKey(deps, admin, createKeyBodySchema.parse({ name: 'asked', permissions: ['alerts:read'] }));
    await deleteKey(deps, admin, details.id);
    store.calls.length = 0;
    const { alongside } = await authenticateKeyAlongside(deps, caller, asked);
    expect(store.calls).toEqual(['findKeys', 'recordUse']);
    expect('record' in alongside && alongside.record?.revokedAt).toBeTruthy();
  });
});
