import { describe, expect, it } from 'vitest';
import { authenticateKey } from '../../../functions/keys/key-authentication.js';
import { createKey, deleteKey, getKey, listKeys, resetKeySecret, updateKey } from '../../../functions/keys/key-lifecycle.js';
import { createKeyBodySchema, listKeysQuerySchema, resetKeyBodySchema, updateKeyBodySchema } from '../../../functions/keys/schemas.js';
import type { Principal } from '../../../functions/permissions/principal.js';
import type { Deps } from '../../../functions/runtime/deps.js';
import { AuthenticationError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../../functions/shared/errors.js';
import { DAY, HOUR, keyUnitWorld, MINUTE, principalOf } from '../../support/key-unit-world.js';

const admin = principalOf('acme', { roles: [{ role: 'global-admin' }] }, 'admin');
const keysWriter = principalOf('acme', { permissions: ['keys:write', 'keys:read', 'alerts:read'] }, 'writer');

function create(deps: Deps, caller: Principal, body: Record<string, unknown>) {
  return createKey(deps, caller, createKeyBodySchema.parse({ permissions: ['alerts:read'], ...body }));
}

function update(deps: Deps, caller: Principal, id: string, body: Record<string, unknown>) {
  return updateKey(deps, caller, id, updateKeyBodySchema.parse(body));
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
}

describe('grant checks', () => {
  it('refuses to grant what the caller does not hold, and writes nothing', async () => {
    const { deps, store } = keyUnitWorld();
    const error = await refusal(create(deps, keysWriter, { name: 'ci', permissions: ['alerts:write'] }));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect((error as Error).message).toContain('alerts:write');
    expect(store.keys.size).toBe(0);
    expect(store.auditEntries).toEqual([]);
  });

  it('grants what the caller holds, canonical (aliases resolved), with one audit entry', async () => {
    const { deps, store } = keyUnitWorld();
    const creator = principalOf('acme', { permissions: ['keys:write', 'alert-rules:read'] });
    const { details } = await create(deps, creator, { name: 'ci', permissions: ['rules:read'] });
    expect(details.permissions).toEqual(['alert-rules:read']);
    expect(store.keys.get(details.id)?.permissions).toEqual(['alert-rules:read']);
    expect(store.auditEntries.map((e) => e.action)).toEqual(['key.create']);
  });

  it('refuses a key with neither a role nor a permission', async () => {
    const { deps } = keyUnitWorld();
    const error = await refusal(create(deps, admin, { name: 'empty', permissions: [] }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('invalid_grant');
  });

  it('refuses to change a key that holds more than the caller, whoever owns it', async () => {
    const { deps, store } = keyUnitWorld();
    const { details: strong } = await create(deps, admin, { name: 'strong', permissions: ['alerts:write'] });
    for (const change of [
      update(deps, keysWriter, strong.id, { description: 'mine now' }),
      resetKeySecret(deps, keysWriter, strong.id, resetKeyBodySchema.parse({})),
      deleteKey(deps, keysWriter, strong.id),
    ]) {
      expect(await refusal(change)).toBeInstanceOf(ForbiddenError);
    }
    expect(store.calls).not.toContain('editKey');
    expect(store.auditEntries).toHaveLength(1);
  });

  it("shows another owner's key as absent to a non-admin, and to an admin as it is", async () => {
    const { deps } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'theirs', owner: 'globex' });
    expect(await refusal(getKey(deps, keysWriter, details.id))).toBeInstanceOf(NotFoundError);
    expect(await refusal(deleteKey(deps, keysWriter, details.id))).toBeInstanceOf(NotFoundError);
    expect((await getKey(deps, admin, details.id)).owner).toBe('globex');
  });

  it('lets a non-admin create and list keys only for its own owner', async () => {
    const { deps } = keyUnitWorld();
    expect(await refusal(create(deps, keysWriter, { name: 'x', owner: 'globex' }))).toBeInstanceOf(ForbiddenError);
    await create(deps, admin, { name: 'g', owner: 'globex' });
    await create(deps, keysWriter, { name: 'a' });
    expect(await refusal(listKeys(deps, keysWriter, listKeysQuerySchema.parse({ owner: 'globex' })))).toBeInstanceOf(ForbiddenError);
    const own = await listKeys(deps, keysWriter, listKeysQuerySchema.parse({}));
    expect(own.items.map((k) => k.name)).toEqual(['a']);
  });
});

describe('name claims', () => {
  it('keeps a name unique per owner, whatever its case, and free across owners', async () => {
    const { deps } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'Deploy' });
    const error = await refusal(create(deps, admin, { name: 'dEPLOY' }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('name_taken');
    expect((error as Error).message).toContain(details.id);
    await create(deps, admin, { name: 'deploy', owner: 'globex' });
  });

  it('gives the name of an expired key to a new key, and moves the lock to it', async () => {
    const { deps, store, advance } = keyUnitWorld();
    const { details: old } = await create(deps, admin, { name: 'nightly', expiresIn: 'PT2M' });
    advance(3 * MINUTE);
    const { details: fresh } = await create(deps, admin, { name: 'Nightly' });
    expect(store.nameLocks.get('acme#nightly')).toBe(fresh.id);
    expect(store.calls.filter((c) => c === 'insertKey')).toHaveLength(3);
    // The expired key cannot take it back by a rename, nor be edited at all.
    expect(await refusal(update(deps, admin, old.id, { name: 'nightly' }))).toBeInstanceOf(ConflictError);
  });

  it('frees the name of a deleted key, and a rename frees the old name and claims the new', async () => {
    const { deps, store } = keyUnitWorld();
    const { details: a } = await create(deps, admin, { name: 'a' });
    await deleteKey(deps, admin, a.id);
    const { details: again } = await create(deps, admin, { name: 'A' });
    await update(deps, admin, again.id, { name: 'b' });
    expect([...store.nameLocks]).toEqual([['acme#b', again.id]]);
    await create(deps, admin, { name: 'a' });
    expect(((await refusal(create(deps, admin, { name: 'B' }))) as ConflictError).code).toBe('name_taken');
  });

  it('lets a key change the case of its own name', async () => {
    const { deps, store } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'ci' });
    expect((await update(deps, admin, details.id, { name: 'CI' })).name).toBe('CI');
    expect(store.nameLocks.get('acme#ci')).toBe(details.id);
  });
});

describe('secret reset and grace periods', () => {
  it('keeps the old secret working for the grace period only, and the new one throughout', async () => {
    const { deps, advance } = keyUnitWorld();
    const { key: oldKey, details } = await create(deps, admin, { name: 'svc' });
    const { key: newKey, details: after } = await resetKeySecret(deps, admin, details.id, resetKeyBodySchema.parse({ gracePeriod: 'PT1H' }));
    expect(after.previousSecretValidUntil).toBe(new Date(deps.clock().getTime() + HOUR).toISOString());
    expect((await authenticateKey(deps, oldKey)).keyId).toBe(details.id);
    advance(HOUR);
    expect(((await refusal(authenticateKey(deps, oldKey))) as AuthenticationError).reason).toBe('invalid');
    expect((await authenticateKey(deps, newKey)).keyId).toBe(details.id);
  });

  it('ends the old secret at once without a grace period, and a second reset ends an open grace', async () => {
    const { deps } = keyUnitWorld();
    const { key: first, details } = await create(deps, admin, { name: 'svc' });
    const { key: second } = await resetKeySecret(deps, admin, details.id, resetKeyBodySchema.parse({ gracePeriod: 'P1D' }));
    await resetKeySecret(deps, admin, details.id, resetKeyBodySchema.parse({}));
    for (const stale of [first, second]) expect(await refusal(authenticateKey(deps, stale))).toBeInstanceOf(AuthenticationError);
  });

  it('refuses a grace period beyond the policy maximum', async () => {
    const { deps, store } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'svc' });
    const error = await refusal(resetKeySecret(deps, admin, details.id, resetKeyBodySchema.parse({ gracePeriod: 'P8D' })));
    expect((error as ValidationError).code).toBe('invalid_grace_period');
    expect(store.calls).not.toContain('editKey');
  });
});

describe('editability', () => {
  it('refuses to edit or reset an expired, an inactive or a deleted key, saying which', async () => {
    const { deps, advance } = keyUnitWorld();
    const { details: soon } = await create(deps, admin, { name: 'soon', expiresIn: 'PT2M' });
    const { details: idle } = await create(deps, admin, { name: 'idle', expiresIn: 'P6M' });
    const { details: gone } = await create(deps, admin, { name: 'gone' });
    await deleteKey(deps, admin, gone.id);
    expect(((await refusal(update(deps, admin, gone.id, { description: 'x' }))) as ConflictError).code).toBe('key_revoked');
    expect(((await refusal(deleteKey(deps, admin, gone.id))) as ConflictError).code).toBe('key_revoked');
    advance(3 * MINUTE);
    expect(((await refusal(update(deps, admin, soon.id, { description: 'x' }))) as ConflictError).code).toBe('key_not_active');
    advance(93 * DAY);
    const error = await refusal(resetKeySecret(deps, admin, idle.id, resetKeyBodySchema.parse({})));
    expect((error as ConflictError).code).toBe('key_not_active');
    expect((error as Error).message).toContain('inactivity');
  });

  it('only shortens an expiry', async () => {
    const { deps } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'k', expiresIn: 'P30D' });
    expect(((await refusal(update(deps, admin, details.id, { expiresIn: 'P31D' }))) as ValidationError).code).toBe('invalid_expiry');
    const shorter = await update(deps, admin, details.id, { expiresIn: 'P7D' });
    expect(shorter.expiresAt).toBe(new Date(deps.clock().getTime() + 7 * DAY).toISOString());
  });

  it('audits an edit with the fields it changed, before and after', async () => {
    const { deps, store } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'k', description: 'old' });
    await update(deps, admin, details.id, { description: 'new', name: 'k' });
    expect(store.auditEntries.at(-1)?.details).toEqual({ changes: { description: { from: 'old', to: 'new' } } });
    expect(store.keys.get(details.id)?.version).toBe(2);
  });

  it('says concurrent_update when the key changed between the read and the write', async () => {
    const { deps, store } = keyUnitWorld();
    const { details } = await create(deps, admin, { name: 'k' });
    const read = store.findKey.bind(store);
    store.findKey = async (id) => {
      const key = await read(id);
      const stored = store.keys.get(id);
      if (stored) stored.version += 1; // another edit lands right after this read
      return key;
    };
    expect(((await refusal(update(deps, admin, details.id, { description: 'x' }))) as ConflictError).code).toBe('concurrent_update');
  });
});
