import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { storedItems } from './api-client.js';
import { type CreatedKey, createKey, type ProtectedWorld, protectedWorld, START, tokenFor } from './protected-world.js';

/** POST /v1/keys/verify through the local gateway, against DynamoDB Local. */
let world: ProtectedWorld;
let service: CreatedKey;
let presented: CreatedKey;

const DAY = 86_400_000;

beforeEach(async () => {
  world = await protectedWorld();
  service = await createKey(world, { owner: 'billing-service', permissions: ['key-verification:read'] });
  presented = await createKey(world, {
    owner: 'siem',
    permissions: ['alerts:read'],
    roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    expiresIn: 'P30D',
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

const verify = (body: unknown, caller = service.key) => world.api('POST', '/v1/keys/verify', { key: caller, body });

const unknown = { keyId: null, owner: null, permissions: null, expiresAt: null };

describe('POST /v1/keys/verify', () => {
  it('says a working key is valid, with its id, owner, effective permissions and expiry', async () => {
    const response = await verify({ key: presented.key });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.json).toEqual({
      valid: true,
      code: 'valid',
      keyId: presented.id,
      owner: 'siem',
      permissions: { 'alerts:read': '*', 'cloud-accounts:read': ['acct-1'] },
      expiresAt: new Date(START.getTime() + 30 * DAY).toISOString(),
    });
  });

  it('checks a required permission, on an instance when one is named', async () => {
    expect((await verify({ key: presented.key, permission: 'alerts:read' })).json).toMatchObject({ valid: true, code: 'valid' });
    expect((await verify({ key: presented.key, permission: 'cloud-accounts:read', instance: 'acct-1' })).json).toMatchObject({ valid: true });
    const lacking = await verify({ key: presented.key, permission: 'cloud-accounts:read', instance: 'acct-2' });
    expect(lacking.status).toBe(200);
    // The holder of the right key may learn what it does hold.
    expect(lacking.json).toMatchObject({ valid: false, code: 'insufficient_permissions', keyId: presented.id, owner: 'siem' });
    expect((await verify({ key: presented.key, permission: 'alerts:write' })).json).toMatchObject({ valid: false, code: 'insufficient_permissions' });
    expect((await verify({ key: presented.key, permission: 'cloud-accounts:read' })).json).toMatchObject({ valid: false, code: 'insufficient_permissions' });
  });

  it('audits a refused key that names a real key, with the verifying service as its origin', async () => {
    const guessed = issueSecret('kg', presented.id).keyString;
    expect((await verify({ key: guessed })).json).toMatchObject({ valid: false, code: 'invalid' });
    const audit = await world.api('GET', '/v1/audit?action=auth.failed', { key: world.admin });
    expect(audit.json.items).toEqual([expect.objectContaining({ keyId: presented.id, reason: 'invalid', details: { where: 'VerifyKey' }, sourceIp: '127.0.0.1' })]);
    expect(JSON.stringify(audit.json)).not.toContain(guessed);
  });

  it('answers every key that does not work with a 200, valid: false, the reason and nothing about the key', async () => {
    const forged = issueSecret('kg', presented.id).keyString;
    const typo = `${presented.key.slice(0, -1)}${presented.key.endsWith('A') ? 'B' : 'A'}`;
    const token = await tokenFor(world, presented);
    const send = vi.spyOn(world.deps.ddb, 'send');
    expect((await verify({ key: typo })).json).toEqual({ valid: false, code: 'malformed', ...unknown });
    expect((await verify({ key: token })).json).toEqual({ valid: false, code: 'malformed', ...unknown });
    // Malformed strings cost no read: only the calling service's own key was looked up.
    expect(send.mock.calls.filter(([command]) => command.constructor.name === 'GetCommand')).toHaveLength(2);
    expect((await verify({ key: forged })).json).toEqual({ valid: false, code: 'invalid', ...unknown });
  });

  it('says why a key stopped working: deleted, reset, expired, or expired for inactivity', async () => {
    const idle = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'P6M' });
    const reset = await world.api('POST', `/v1/keys/${presented.id}/reset`, { key: world.admin, body: {} });
    expect((await verify({ key: presented.key })).json).toMatchObject({ valid: false, code: 'invalid' });
    expect((await verify({ key: reset.json.key })).json).toMatchObject({ valid: true });
    expect((await world.api('DELETE', `/v1/keys/${presented.id}`, { key: world.admin })).status).toBe(204);
    expect((await verify({ key: reset.json.key })).json).toEqual({ valid: false, code: 'revoked', ...unknown });

    const later = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'P1D' });
    world.clock.advance(2 * DAY);
    expect((await verify({ key: later.key })).json).toMatchObject({ valid: false, code: 'expired' });
    // Every key made at the start is idle by now; a freshly minted admin key does the asking.
    world.clock.advance(91 * DAY);
    const admin = (await mintAdminKey(world.deps)).key;
    expect((await verify({ key: idle.key }, admin)).json).toMatchObject({ valid: false, code: 'expired_inactive' });
  });

  it('counts a successful verification as a use of the key', async () => {
    await verify({ key: presented.key });
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${presented.id}`);
    expect(stored?.lastUsedAt).toBe(START.toISOString());
  });

  it('is a 4xx only for a bad request or a caller that may not verify', async () => {
    expect((await verify({})).status).toBe(400);
    expect((await verify({ key: presented.key, permission: 'alerts:reed' })).status).toBe(400);
    expect((await verify({ key: presented.key, permission: 'nukes:read' })).json.error.message).toMatch(/no resource "nukes"/);
    expect((await verify({ key: presented.key, instance: 'acct-1' })).status).toBe(400);
    expect((await verify({ key: presented.key, colour: 'red' })).status).toBe(400);
    expect((await world.api('POST', '/v1/keys/verify', { body: { key: presented.key } })).status).toBe(401);
    expect((await verify({ key: presented.key }, presented.key)).status).toBe(403);
    // The admin role holds key-verification:read.
    expect((await verify({ key: presented.key }, world.admin)).json).toMatchObject({ valid: true });
  });
});
