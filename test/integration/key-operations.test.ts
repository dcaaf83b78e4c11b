import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { localDemoRoutes } from '../../dev/local-demo.js';
import { logger } from '../../functions/observability/logger.js';
import { routes } from '../../functions/routes.js';
import { apiFrom, formFrom, requestFrom } from '../support/from-address.js';
import { basic, type CreatedKey, createKey, introspect, type KeygateWorld, keygateWorld, postForm, tokenFor } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * Rotation to a successor, suspend and resume (one key, and every key of an owner), and IP
 * allowlists, through the local gateway over DynamoDB Local, with the demo API behind the keygate
 * authorizer (cache off). Requests from another address come from 127.0.0.2: the gateway sees
 * the connection's address, as API Gateway does.
 */
let world: KeygateWorld;
const DAY = 86_400_000;
const OTHER_ADDRESS = '127.0.0.2';

beforeEach(async () => {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  vi.spyOn(logger, 'warn').mockImplementation(() => {});
  world = await keygateWorld([...routes, ...localDemoRoutes({ cacheTtlSeconds: 0 })]);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });

async function keyItem(id: string) {
  return (await storedItems(world.deps)).find((item) => item.pk === `KEY#${id}`);
}

async function auditEntries(action: string, keyId?: string) {
  const items = await storedItems(world.deps);
  return items.filter((item) => String(item.pk).startsWith('AUDIT#') && item.action === action && (keyId === undefined || item.keyId === keyId));
}

/** What every path says of a key (and, for the authorizer, of a token minted from it earlier). */
async function everyPath(key: CreatedKey, from = '127.0.0.1') {
  const api = apiFrom(from, world.url);
  const management = await api('GET', '/v1/catalog', { key: key.key });
  const token = await formFrom(from, `${world.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basic(key.id, key.key) });
  const authorizer = await requestFrom(from, `${world.url}/demo/alerts`, { headers: bearer(key.key) });
  const body = { key: key.key, ...(from === '127.0.0.1' ? {} : { clientIp: from }) };
  const verify = await world.api('POST', '/v1/keys/verify', { key: world.admin, body });
  return {
    management: management.status,
    managementCode: management.json?.error?.code,
    token: token.status,
    authorizer: authorizer.status,
    verify: verify.json.code,
  };
}

describe('rotate to a successor', () => {
  it('makes a successor with the same name, grants and settings, revokes the old key at once, moves the name in one transaction', async () => {
    const old = await createKey(world, { name: 'billing', description: 'nightly', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' });
    const response = await world.api('POST', `/v1/keys/${old.id}/rotate`, { key: world.admin, body: { expiresIn: 'P60D' } });
    expect(response.status).toBe(201);
    const successor = response.json;
    expect(successor).toMatchObject({ name: 'billing', description: 'nightly', owner: 'alice', permissions: ['alerts:read'], predecessorId: old.id });
    expect(successor.status).toBe('active');
    expect(successor.id).not.toBe(old.id);
    expect(successor.expiresAt).toBe(new Date(world.clock().getTime() + 60 * DAY).toISOString());
    expect(successor.key).toMatch(new RegExp(`^kg_${successor.id}_`));

    const details = await world.api('GET', `/v1/keys/${old.id}`, { key: world.admin });
    expect(details.json).toMatchObject({ status: 'revoked', successorId: successor.id, rotatedAt: world.clock().toISOString() });
    expect(await everyPath(old)).toMatchObject({ management: 401, token: 401, authorizer: 403, verify: 'revoked' });
    const successorPaths = await everyPath({ id: successor.id, key: successor.key });
    expect(successorPaths).toMatchObject({ management: 200, token: 200, authorizer: 200, verify: 'valid' });

    const lock = (await storedItems(world.deps)).find((item) => item.pk === 'NAME#alice#billing');
    expect(lock?.keyId).toBe(successor.id);
    const taken = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: 'billing', owner: 'alice', permissions: ['alerts:read'] } });
    expect(taken.status).toBe(409);
    const rotateEntries = await auditEntries('key.rotate', old.id);
    expect(rotateEntries).toEqual([expect.objectContaining({ details: expect.objectContaining({ successorId: successor.id, overlap: null }) })]);
    const createEntries = await auditEntries('key.create', successor.id);
    expect(createEntries).toEqual([expect.objectContaining({ details: expect.objectContaining({ rotatedFrom: old.id }) })]);
  });

  it('with an overlap, the old key works until it ends and is then refused, its expiry never extended', async () => {
    const old = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' });
    const rotated = await world.api('POST', `/v1/keys/${old.id}/rotate`, { key: world.admin, body: { overlap: 'P1D' } });
    expect(rotated.status).toBe(201);
    const end = new Date(world.clock().getTime() + DAY).toISOString();
    const during = (await world.api('GET', `/v1/keys/${old.id}`, { key: world.admin })).json;
    expect(during).toMatchObject({ status: 'active', expiresAt: end, successorId: rotated.json.id });
    expect((await keyItem(old.id))?.ttl).toBe(Math.ceil((Date.parse(end) + 30 * DAY) / 1000));
    expect(await everyPath(old)).toMatchObject({ management: 200, token: 200, authorizer: 200, verify: 'valid' });
    world.clock.advance(DAY);
    expect(await everyPath(old)).toMatchObject({ management: 401, token: 401, authorizer: 403, verify: 'expired' });
    expect((await everyPath({ id: rotated.json.id, key: rotated.json.key })).verify).toBe('valid');

    // A key that expires before the overlap would end keeps its own expiry.
    const short = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], expiresIn: 'PT12H' });
    const before = (await world.api('GET', `/v1/keys/${short.id}`, { key: world.admin })).json.expiresAt;
    expect((await world.api('POST', `/v1/keys/${short.id}/rotate`, { key: world.admin, body: { overlap: 'P7D' } })).status).toBe(201);
    expect((await world.api('GET', `/v1/keys/${short.id}`, { key: world.admin })).json.expiresAt).toBe(before);
  });

  it('refuses an overlap beyond P7D, an expiry beyond the policy, and rotating a rotated, suspended or expired key (409 with a code)', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' });
    const rotate = (id: string, body: object = {}) => world.api('POST', `/v1/keys/${id}/rotate`, { key: world.admin, body });
    expect((await rotate(key.id, { overlap: 'P8D' })).json.error.code).toBe('invalid_overlap');
    expect((await rotate(key.id, { expiresIn: 'P1Y' })).json.error.code).toBe('invalid_expiry');
    const first = await rotate(key.id, { overlap: 'PT1H' });
    expect(first.status).toBe(201);
    expect((await rotate(key.id)).json.error).toMatchObject({ code: 'key_rotated', message: expect.stringContaining(first.json.id) });
    expect((await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { description: 'x' } })).json.error.code).toBe('key_rotated');

    const suspended = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    await world.api('POST', `/v1/keys/${suspended.id}/suspend`, { key: world.admin });
    expect((await rotate(suspended.id)).json.error.code).toBe('key_suspended');

    const expiring = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P2D' });
    world.clock.advance(3 * DAY);
    const expired = await rotate(expiring.id);
    expect(expired.status).toBe(409);
    expect(expired.json.error.code).toBe('key_not_active');
  });

  it('carries a notification set relative to the expiry over to the successor, and cancels the old key’s', async () => {
    const channel = await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'ops', type: 'operator', owner: 'alice' } });
    const notification = { at: 'P7D', channelId: channel.json.id };
    const old = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', notification });
    const successor = (await world.api('POST', `/v1/keys/${old.id}/rotate`, { key: world.admin, body: { expiresIn: 'P90D' } })).json;
    const at = new Date(world.clock().getTime() + 83 * DAY).toISOString();
    expect(successor.notification).toMatchObject({ channelId: channel.json.id, before: 'P7D', at });
    expect((await world.api('GET', `/v1/keys/${old.id}`, { key: world.admin })).json.notification).toBeNull();
  });

  it('of 20 parallel rotations of one key, exactly one makes a successor; the others answer 409', async () => {
    const key = await createKey(world, { name: 'raced', owner: 'alice', permissions: ['alerts:read'] });
    const rotate = () => world.api('POST', `/v1/keys/${key.id}/rotate`, { key: world.admin, body: { overlap: 'PT1H' } });
    const answers = await Promise.all(Array.from({ length: 20 }, rotate));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const items = await storedItems(world.deps);
    const successors = items.filter((item) => item.predecessorId === key.id);
    expect(successors).toHaveLength(1);
    expect(items.find((item) => item.pk === `KEY#${key.id}`)?.successorId).toBe(successors[0]?.id);
    expect(items.find((item) => item.pk === 'NAME#alice#raced')?.keyId).toBe(successors[0]?.id);
    expect(await auditEntries('key.rotate', key.id)).toHaveLength(1);
  });
});

describe('suspend and resume', () => {
  it('a suspended key is refused on every path with its own code, its tokens are inactive, and it works again once resumed', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read', 'keys:read'], expiresIn: 'P30D' });
    const token = await tokenFor(world, key);
    const suspended = await world.api('POST', `/v1/keys/${key.id}/suspend`, { key: world.admin, body: { reason: 'incident 42' } });
    expect(suspended.status).toBe(200);
    expect(suspended.json).toMatchObject({ status: 'suspended', suspendedReason: 'incident 42', suspendedBy: { owner: 'admin' } });
    expect(await everyPath(key)).toEqual({ management: 401, managementCode: 'key_suspended', token: 401, authorizer: 403, verify: 'suspended' });
    expect((await introspect(world, token)).json).toEqual({ active: false });
    expect((await world.api('GET', '/v1/keys?status=suspended', { key: world.admin })).json.items.map((k: { id: string }) => k.id)).toEqual([key.id]);
    expect((await world.api('GET', '/v1/keys?status=active&owner=alice', { key: world.admin })).json.items).toEqual([]);
    // It keeps its name: it may be resumed.
    expect((await world.api('POST', `/v1/keys/${key.id}/suspend`, { key: world.admin })).json.error.code).toBe('key_suspended');
    const failed = await auditEntries('auth.failed', key.id);
    expect(failed.map((entry) => entry.reason)).toContain('suspended');

    const resumed = await world.api('POST', `/v1/keys/${key.id}/resume`, { key: world.admin });
    expect(resumed.json).toMatchObject({ status: 'active', suspendedAt: null });
    expect(await everyPath(key)).toEqual({ management: 200, managementCode: undefined, token: 200, authorizer: 200, verify: 'valid' });
    expect((await introspect(world, token)).json.active).toBe(true);
    expect(await auditEntries('key.suspend', key.id)).toEqual([expect.objectContaining({ details: { reason: 'incident 42' } })]);
    expect(await auditEntries('key.resume', key.id)).toHaveLength(1);
    expect((await world.api('POST', `/v1/keys/${key.id}/resume`, { key: world.admin })).json.error.code).toBe('key_not_suspended');
  });

  it('a suspended admin key cannot manage, and a suspended key’s expiry keeps running', async () => {
    const admin = await createKey(world, { owner: 'ops', roles: [{ role: 'global-admin' }], expiresIn: 'P2D' });
    expect((await world.api('GET', '/v1/keys', { key: admin.key })).status).toBe(200);
    await world.api('POST', `/v1/keys/${admin.id}/suspend`, { key: world.admin });
    const refused = await world.api('POST', `/v1/keys/${admin.id}/resume`, { key: admin.key });
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('key_suspended');
    world.clock.advance(3 * DAY);
    expect((await world.api('GET', `/v1/keys/${admin.id}`, { key: world.admin })).json.status).toBe('expired');
    expect((await world.api('POST', `/v1/keys/${admin.id}/resume`, { key: world.admin })).json.error.code).toBe('key_not_active');
  });

  it('an admin suspends, then revokes, every key of one owner in one call: a count, one audit entry per key', async () => {
    const keys = await Promise.all(Array.from({ length: 30 }, () => createKey(world, { owner: 'bob', permissions: ['alerts:read'] })));
    const other = await createKey(world, { owner: 'carol', permissions: ['alerts:read'] });
    await world.api('DELETE', `/v1/keys/${keys[0]?.id}`, { key: world.admin });
    const suspended = await world.api('POST', '/v1/owners/bob/keys/suspend', { key: world.admin, body: { reason: 'offboarding' } });
    expect(suspended.json).toEqual({ owner: 'bob', action: 'suspend', count: 29, failed: 0, complete: true });
    expect(await auditEntries('key.suspend')).toHaveLength(29);
    expect((await everyPath(keys[1] as CreatedKey)).verify).toBe('suspended');
    expect((await everyPath(other)).verify).toBe('valid');
    expect((await world.api('POST', '/v1/owners/bob/keys/suspend', { key: world.admin })).json.count).toBe(0);

    const revoked = await world.api('POST', '/v1/owners/bob/keys/revoke', { key: world.admin });
    expect(revoked.json).toEqual({ owner: 'bob', action: 'revoke', count: 29, failed: 0, complete: true });
    expect((await auditEntries('key.delete')).filter((entry) => (entry.details as { bulk?: boolean }).bulk)).toHaveLength(29);
    expect((await everyPath(keys[2] as CreatedKey)).verify).toBe('revoked');

    const member = await createKey(world, { owner: 'carol', permissions: ['keys:write', 'alerts:read'] });
    expect((await world.api('POST', '/v1/owners/bob/keys/suspend', { key: member.key })).status).toBe(404);
    expect((await world.api('POST', '/v1/owners/carol/keys/suspend', { key: member.key })).status).toBe(403);
    expect((await everyPath(other)).verify).toBe('valid');
  });
});

describe('IP allowlists', () => {
  it('stores ranges normalized, refuses bad ones and an empty list, and null removes the allowlist', async () => {
    const created = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'ranged', owner: 'alice', permissions: ['alerts:read'], allowedIps: ['203.0.113.7/24', '2001:DB8::1/32', '198.51.100.4'] },
    });
    expect(created.json.allowedIps).toEqual(['203.0.113.0/24', '2001:db8::/32', '198.51.100.4/32']);
    for (const allowedIps of [['10.0.0.0/33'], ['0x7f000001'], [], ['not an address']]) {
      const response = await world.api('PATCH', `/v1/keys/${created.json.id}`, { key: world.admin, body: { allowedIps } });
      expect(response.status, JSON.stringify(allowedIps)).toBe(400);
    }
    const cleared = await world.api('PATCH', `/v1/keys/${created.json.id}`, { key: world.admin, body: { allowedIps: null } });
    expect(cleared.json.allowedIps).toBeNull();
    expect((await keyItem(created.json.id))?.allowedIps).toBeUndefined();
  });

  it('an allowlisted key works from inside its ranges and is refused from any other address on every path, audited with the address', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read', 'keys:read'], allowedIps: ['127.0.0.1/32', '::1/128'] });
    expect(await everyPath(key)).toEqual({ management: 200, managementCode: undefined, token: 200, authorizer: 200, verify: 'valid' });
    const elsewhereEverywhere = await everyPath(key, OTHER_ADDRESS);
    expect(elsewhereEverywhere).toEqual({ management: 401, managementCode: 'ip_not_allowed', token: 401, authorizer: 403, verify: 'ip_not_allowed' });
    // Verify checks the allowlist only against a client address the service passes.
    const unchecked = await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: key.key } });
    expect(unchecked.json.code).toBe('valid');
    const elsewhere = await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: key.key, clientIp: '203.0.113.9' } });
    expect(elsewhere.json).toMatchObject({ valid: false, code: 'ip_not_allowed', keyId: null });
    expect((await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: key.key, clientIp: 'nope' } })).status).toBe(400);

    const refusals = (await auditEntries('auth.failed', key.id)).filter((entry) => entry.reason === 'ip_not_allowed');
    // Folded per key, reason, source IP, address and minute: the three direct uses from 127.0.0.2 are one entry.
    expect(refusals.map((entry) => (entry.details as { address: string }).address).sort()).toEqual(['127.0.0.2', '127.0.0.2', '203.0.113.9']);
    const direct = refusals.find((entry) => entry.sourceIp === OTHER_ADDRESS);
    expect(direct).toMatchObject({ attempts: 3, details: { where: expect.any(String), address: OTHER_ADDRESS } });
  });

  it('a token minted inside the allowlist is refused by the authorizer from elsewhere, and is inactive once the allowlist changes', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], allowedIps: ['127.0.0.1/32'] });
    const token = await tokenFor(world, key);
    expect((await requestFrom('127.0.0.1', `${world.url}/demo/alerts`, { headers: bearer(token) })).status).toBe(200);
    expect((await requestFrom(OTHER_ADDRESS, `${world.url}/demo/alerts`, { headers: bearer(token) })).status).toBe(403);
    expect((await introspect(world, token)).json).toMatchObject({ active: true, kg_ips: ['127.0.0.1/32'] });

    const open = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    const before = await tokenFor(world, open);
    await world.api('PATCH', `/v1/keys/${open.id}`, { key: world.admin, body: { allowedIps: ['127.0.0.1/32'] } });
    expect((await introspect(world, before)).json).toEqual({ active: false });
    const fromElsewhere = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(open.id, open.key) });
    expect(fromElsewhere.status).toBe(200);
  });

  it('a rotation carries the allowlist to the successor', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'], allowedIps: ['127.0.0.1/32'] });
    const successor = (await world.api('POST', `/v1/keys/${key.id}/rotate`, { key: world.admin })).json;
    expect(successor.allowedIps).toEqual(['127.0.0.1/32']);
    expect(await everyPath({ id: successor.id, key: successor.key }, OTHER_ADDRESS)).toMatchObject({ management: 401, verify: 'ip_not_allowed' });
  });
  it('a rotation carries tags and meta to the successor, which the key indexes then list in the old key’s place', async () => {
    const key = await createKey(world, { name: 'tagged-rotation', owner: 'alice', permissions: ['alerts:read'], tags: ['team:rotation'], meta: { tier: 'gold' } });
    const successor = (await world.api('POST', `/v1/keys/${key.id}/rotate`, { key: world.admin })).json;
    expect(successor).toMatchObject({ tags: ['team:rotation'], meta: { tier: 'gold' } });
    const active = await world.api('GET', '/v1/keys?tag=team:rotation&status=active', { key: world.admin });
    expect(active.json.items.map((k: { id: string }) => k.id)).toEqual([successor.id]);
    const byName = await world.api('GET', '/v1/keys?namePrefix=tagged-rot', { key: world.admin });
    expect(byName.json.items.map((k: { id: string; status: string }) => [k.id, k.status])).toEqual(
      expect.arrayContaining([[successor.id, 'active'], [key.id, 'revoked']]),
    );
  });
});
