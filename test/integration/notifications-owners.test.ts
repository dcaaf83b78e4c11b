import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { countCalls } from '../support/ddb-calls.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { notify as notifyHandler } from '../../functions/reminders/handlers/notifier.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { withLocalNotifications } from '../support/notifications.js';
import { apiClient, storedItems } from './api-client.js';
import { functionTableAccess } from '../../functions/contract/table-access.js';
import { withTableAccess } from '../support/table-access-guard.js';

/** The notifier as deployed: held to its role's table grants (functions/contract/table-access.ts). */
const notify = (...args: Parameters<typeof notifyHandler>) => withTableAccess('Notifier', functionTableAccess.notifier, () => notifyHandler(...args));

/**
 * Owner boundaries of channels and operator messages, as the security review reproduced them:
 * a principal with channels:* or operator-messages:* that is not an admin reaches only its own
 * owner's channels and messages; the deployment's default channel is an admin channel's name;
 * a key's notification goes only to its owner's channels (or, set by an admin, an admin channel).
 */
const START = new Date('2026-11-23T12:00:00.000Z');

let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;

beforeEach(async () => {
  clock = testClock(START);
  deps = withLocalNotifications(await freshDeps({ clock: clock.now })).deps;
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
});

afterEach(async () => {
  vi.restoreAllMocks();
  await gateway.close();
});

/** A key of `owner` made by the admin; its string. */
async function keyOf(owner: string, permissions: string[], name = `${owner}-key`): Promise<string> {
  const response = await api('POST', '/v1/keys', { key: admin, body: { name, owner, permissions, expiresIn: 'P30D', notification: null } });
  expect(response.status).toBe(201);
  return response.json.key;
}
const channelKeyOf = (owner: string) => keyOf(owner, ['channels:read', 'channels:write', 'keys:read', 'keys:write', 'alerts:read']);

async function createChannel(key: string, body: Record<string, unknown>) {
  return api('POST', '/v1/channels', { key, body });
}
async function channelId(key: string, body: Record<string, unknown>): Promise<string> {
  const response = await createChannel(key, body);
  expect(response.status).toBe(201);
  return response.json.id;
}
const storedChannels = async () => (await storedItems(deps)).filter((i) => String(i.pk).startsWith('CHANNEL#'));
const ids = (response: { json: { items: { id: string }[] } }) => response.json.items.map((i) => i.id).sort();

/** A channel as stored before channels had owners: no owner, the deployment-wide name lock. */
async function legacyChannel(id: string, name: string, createdByOwner: string) {
  const createdAt = clock().toISOString();
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { pk: `CHANNEL#${id}`, sk: 'CHANNEL', gsi2pk: 'CHANNELS', gsi2sk: `${createdAt}#${id}`, id, name, type: 'operator', createdAt, createdBy: { owner: createdByOwner } },
    }),
  );
  await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { pk: `CHANNELNAME#${name.toLowerCase()}`, sk: 'NAME', channelId: id } }));
}

describe('channels have an owner', () => {
  it("a non-admin can neither see, list nor delete the admin's channel (404), and its own are listed by an index query", async () => {
    const hook = await channelId(admin, { type: 'webhook', name: 'siem', url: 'https://hooks.example.com/T000/B000/secret-token' });
    const bob = await channelKeyOf('bob');
    const bobs = await channelId(bob, { type: 'operator', name: 'bob-ops' });

    const got = await api('GET', `/v1/channels/${hook}`, { key: bob });
    expect(got.status).toBe(404);
    expect(JSON.stringify(got.json)).not.toContain('secret-token');
    const calls = countCalls(deps.ddb);
    onTestFinished(calls.remove);
    const listed = await api('GET', '/v1/channels', { key: bob });
    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([expect.objectContaining({ id: bobs, owner: 'bob', adminChannel: false })]);
    expect(JSON.stringify(listed.json)).not.toContain('secret-token');
    expect(calls.count('Scan')).toBe(0);
    expect(calls.sent().find((call) => call.operation === 'Query')?.input).toMatchObject({
      IndexName: 'byOwner',
      ExpressionAttributeValues: { ':p': 'CHANNELOWNER#bob' },
    });

    const deleted = await api('DELETE', `/v1/channels/${hook}`, { key: bob });
    expect(deleted.status).toBe(404);
    expect((await storedChannels()).map((c) => c.id).sort()).toEqual([bobs, hook].sort());
  });

  it("stores the caller's owner; only admins create for another owner or list another owner's", async () => {
    const bob = await channelKeyOf('bob');
    const own = await createChannel(bob, { type: 'email', name: 'mine', addresses: ['bob@example.com'] });
    expect(own.json).toMatchObject({ owner: 'bob', adminChannel: false, createdBy: { owner: 'bob' } });
    expect((await storedChannels()).find((c) => c.id === own.json.id)).toMatchObject({ owner: 'bob', gsi1pk: 'CHANNELOWNER#bob' });
    const forAlice = await createChannel(bob, { type: 'operator', name: 'theirs', owner: 'alice' });
    expect(forAlice.status).toBe(403);
    expect(forAlice.json.error.message).toMatch(/only for your own owner "bob"/);
    expect((await api('GET', '/v1/channels?owner=alice', { key: bob })).status).toBe(403);
    expect(ids(await api('GET', '/v1/channels?owner=bob', { key: bob }))).toEqual([own.json.id]);

    const byAdmin = await createChannel(admin, { type: 'operator', name: 'alice-ops', owner: 'alice' });
    expect(byAdmin.status).toBe(201);
    expect(byAdmin.json).toMatchObject({ owner: 'alice', adminChannel: false });
    const adminOwn = await channelId(admin, { type: 'operator', name: 'ops' });
    expect(ids(await api('GET', '/v1/channels', { key: admin }))).toEqual([own.json.id, byAdmin.json.id, adminOwn].sort());
    expect(ids(await api('GET', '/v1/channels?owner=alice', { key: admin }))).toEqual([byAdmin.json.id]);
    // A cursor of one owner's listing does not continue another's.
    const page = await api('GET', '/v1/channels?owner=admin&limit=1', { key: admin });
    expect((await api('GET', `/v1/channels?owner=bob&cursor=${page.json.nextCursor ?? 'x'}`, { key: admin })).status).toBe(400);
  });

  it("names are unique per owner; admin channels' names deployment-wide", async () => {
    const bob = await channelKeyOf('bob');
    const carol = await channelKeyOf('carol');
    expect((await createChannel(bob, { type: 'operator', name: 'pager' })).status).toBe(201);
    expect((await createChannel(carol, { type: 'operator', name: 'Pager' })).status).toBe(201);
    expect((await createChannel(admin, { type: 'operator', name: 'pager' })).status).toBe(201);
    const again = await createChannel(bob, { type: 'operator', name: 'PAGER' });
    expect(again.status).toBe(409);
    expect(again.json.error.message).toBe('owner "bob" already has a channel named "PAGER"');
    expect((await createChannel(admin, { type: 'operator', name: 'Pager' })).json.error.message).toBe('an admin channel named "Pager" already exists');
  });

  it("only an admin creates the deployment's default channel, as an admin channel, and only an admin deletes an admin channel", async () => {
    const bob = await channelKeyOf('bob');
    for (const name of ['operators', 'OPERATORS', ' Operators ']) {
      const response = await createChannel(bob, { type: 'webhook', name, url: 'https://bob.example.com/collect' });
      expect(response.status).toBe(403);
      expect(response.json.error.message).toMatch(/default channel.*only an admin may create it/);
    }
    const forBob = await createChannel(admin, { type: 'operator', name: 'operators', owner: 'bob' });
    expect(forBob.status).toBe(400);
    expect(forBob.json.error.message).toMatch(/must be an admin channel, so create it without "owner"/);
    expect(await storedChannels()).toEqual([]);

    const operators = await createChannel(admin, { type: 'operator', name: 'operators' });
    expect(operators.json).toMatchObject({ owner: 'admin', adminChannel: true });
    // A principal of the admin's owner without the admin role sees the admin channel, but cannot delete it.
    const adminsHelper = await keyOf('admin', ['channels:read', 'channels:write'], 'helper');
    expect((await api('GET', `/v1/channels/${operators.json.id}`, { key: adminsHelper })).status).toBe(200);
    const refused = await api('DELETE', `/v1/channels/${operators.json.id}`, { key: adminsHelper });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toMatch(/admin channel.*only an admin may delete it/);
    expect((await api('DELETE', `/v1/channels/${operators.json.id}`, { key: bob })).status).toBe(404);
    expect(await storedChannels()).toHaveLength(1);
    expect((await api('DELETE', `/v1/channels/${operators.json.id}`, { key: admin })).status).toBe(204);
  });

  it("every owner's default reminders go to the admin's default channel, never to a channel a non-admin made", async () => {
    const bob = await channelKeyOf('bob');
    const bobsHook = await channelId(bob, { type: 'webhook', name: 'ops-hook', url: 'https://bob.example.com/collect' });
    const none = await api('POST', '/v1/keys', { key: admin, body: { name: 'a1', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' } });
    expect(none.json.defaultNotifications).toEqual([]);
    const operators = await channelId(admin, { type: 'operator', name: 'operators' });
    for (const caller of [admin, bob]) {
      const owner = caller === admin ? 'alice' : 'bob';
      const key = await api('POST', '/v1/keys', { key: caller, body: { name: `k-${owner}`, owner, permissions: ['alerts:read'], expiresIn: 'P30D' } });
      expect(key.status).toBe(201);
      expect(key.json.defaultNotifications.map((n: { channelId: string }) => n.channelId)).toEqual([operators, operators]);
    }
    expect((await storedItems(deps)).filter((i) => JSON.stringify(i).includes(bobsHook) && i.sk === 'KEY')).toEqual([]);
  });

  it('treats a channel stored before channels had owners as an admin channel: admins only, and it may be the default', async () => {
    await legacyChannel('ch_0000000000000000000001', 'operators', 'bob');
    await legacyChannel('ch_0000000000000000000002', 'old-ops', 'admin');
    const bob = await channelKeyOf('bob');
    expect((await api('GET', '/v1/channels', { key: bob })).json.items).toEqual([]);
    expect((await api('GET', '/v1/channels/ch_0000000000000000000001', { key: bob })).status).toBe(404);
    expect((await api('DELETE', '/v1/channels/ch_0000000000000000000002', { key: bob })).status).toBe(404);
    const listed = await api('GET', '/v1/channels', { key: admin });
    expect(listed.json.items.map((c: { owner: unknown; adminChannel: unknown }) => [c.owner, c.adminChannel])).toEqual([
      [null, true],
      [null, true],
    ]);
    // Its name stays taken among admin channels; it is the default; an admin deletes it with its lock.
    expect((await createChannel(admin, { type: 'operator', name: 'Old-Ops' })).status).toBe(409);
    const key = await api('POST', '/v1/keys', { key: admin, body: { name: 'k', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' } });
    expect(key.json.defaultNotifications[0]).toMatchObject({ channelId: 'ch_0000000000000000000001' });
    expect((await api('DELETE', '/v1/channels/ch_0000000000000000000002', { key: admin })).status).toBe(204);
    expect((await createChannel(admin, { type: 'operator', name: 'old-ops' })).status).toBe(201);
  });
});

describe("a key's notification", () => {
  it("may name a channel of the key's owner; a non-admin cannot name another owner's (unknown to it)", async () => {
    const bob = await channelKeyOf('bob');
    const adminOps = await channelId(admin, { type: 'operator', name: 'ops' });
    const alices = await channelId(admin, { type: 'operator', name: 'alice-ops', owner: 'alice' });
    const bobs = await channelId(bob, { type: 'operator', name: 'bob-ops' });
    for (const other of [adminOps, alices]) {
      const response = await api('POST', '/v1/keys', { key: bob, body: { name: `to-${other}`, permissions: ['alerts:read'], notification: { at: 'P7D', channelId: other } } });
      expect(response.status).toBe(400);
      expect(response.json.error).toMatchObject({ code: 'unknown_channel', message: `there is no channel ${other} (GET /v1/channels lists them)` });
    }
    const own = await api('POST', '/v1/keys', { key: bob, body: { name: 'own', permissions: ['alerts:read'], notification: { at: 'P7D', channelId: bobs } } });
    expect(own.status).toBe(201);
    const moved = await api('PATCH', `/v1/keys/${own.json.id}`, { key: bob, body: { notification: { at: 'P7D', channelId: adminOps } } });
    expect(moved.status).toBe(400);
    expect(moved.json.error.code).toBe('unknown_channel');
    expect((await storedItems(deps)).find((i) => i.pk === `KEY#${own.json.id}`)?.notification).toMatchObject({ channelId: bobs });
  });

  it("set by an admin, may name an admin channel, but not another owner's channel", async () => {
    const bob = await channelKeyOf('bob');
    const adminOps = await channelId(admin, { type: 'operator', name: 'ops' });
    const bobs = await channelId(bob, { type: 'operator', name: 'bob-ops' });
    const toAdmins = await api('POST', '/v1/keys', { key: admin, body: { name: 'a', owner: 'alice', permissions: ['alerts:read'], notification: { at: 'P7D', channelId: adminOps } } });
    expect(toAdmins.status).toBe(201);
    const toBobs = await api('POST', '/v1/keys', { key: admin, body: { name: 'b', owner: 'alice', permissions: ['alerts:read'], notification: { at: 'P7D', channelId: bobs } } });
    expect(toBobs.status).toBe(400);
    expect(toBobs.json.error).toMatchObject({ code: 'channel_not_allowed', message: expect.stringContaining(`channel ${bobs} belongs to owner "bob"`) });
    const forBob = await api('POST', '/v1/keys', { key: admin, body: { name: 'c', owner: 'bob', permissions: ['alerts:read'], notification: { at: 'P7D', channelId: bobs } } });
    expect(forBob.status).toBe(201);
  });

  it("is dropped, not sent, if it names a channel of another owner all the same", async () => {
    const bob = await channelKeyOf('bob');
    const bobs = await channelId(bob, { type: 'operator', name: 'bob-ops' });
    const own = await channelId(admin, { type: 'operator', name: 'alice-ops', owner: 'alice' });
    const key = await api('POST', '/v1/keys', { key: admin, body: { name: 'k', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at: 'P7D', channelId: own } } });
    // What no route can write any more: the notification pointed at bob's channel.
    const stored = (await storedItems(deps)).find((i) => i.pk === `KEY#${key.json.id}`) as Record<string, any>;
    await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...stored, notification: { ...stored.notification, channelId: bobs } } }));
    clock.set(new Date(stored.notification.at));
    expect(await notify({ keyId: key.json.id, slot: 'own', rev: stored.notification.rev }, deps)).toEqual({
      result: 'dropped',
      detail: `the channel ${bobs} is neither of the key's owner nor an admin channel`,
    });
    expect((await storedItems(deps)).filter((i) => String(i.pk).startsWith('OPMSG#'))).toEqual([]);
  });
});

describe('operator messages', () => {
  async function fire(keyId: string) {
    const stored = (await storedItems(deps)).find((i) => i.pk === `KEY#${keyId}`) as Record<string, any>;
    clock.set(new Date(stored.notification.at));
    expect(await notify({ keyId, slot: 'own', rev: stored.notification.rev }, deps)).toEqual({ result: 'sent' });
  }

  it("carry the key's owner and are listed and acknowledged only by that owner's principals and admins", async () => {
    const ops = await channelId(admin, { type: 'operator', name: 'ops' });
    const keys: Record<string, string> = {};
    for (const [owner, at] of [['alice', '2026-11-24T12:00:00Z'], ['bob', '2026-11-25T12:00:00Z']] as const) {
      const key = await api('POST', '/v1/keys', { key: admin, body: { name: `${owner}-svc`, owner, permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at, channelId: ops } } });
      keys[owner] = key.json.id;
    }
    await fire(keys.alice as string);
    await fire(keys.bob as string);
    const stored = (await storedItems(deps)).filter((i) => String(i.pk).startsWith('OPMSG#'));
    expect(stored.map((m) => [m.owner, m.keyId, m.gsi1pk]).sort()).toEqual([
      ['alice', keys.alice, 'OPMSGOWNER#alice'],
      ['bob', keys.bob, 'OPMSGOWNER#bob'],
    ]);

    const alice = await keyOf('alice', ['operator-messages:read', 'operator-messages:write'], 'alice-ops');
    const bob = await keyOf('bob', ['operator-messages:read', 'operator-messages:write'], 'bob-ops');
    const viewer = await api('POST', '/v1/keys', { key: admin, body: { name: 'viewer', owner: 'carol', roles: [{ role: 'global-viewer' }], notification: null } });
    const alicesList = await api('GET', '/v1/operator-messages', { key: alice });
    expect(alicesList.json.items.map((m: { keyId: string; owner: string }) => [m.keyId, m.owner])).toEqual([[keys.alice, 'alice']]);
    expect((await api('GET', '/v1/operator-messages', { key: viewer.json.key })).json.items).toEqual([]);
    expect((await api('GET', '/v1/operator-messages?owner=bob', { key: alice })).status).toBe(403);
    expect((await api('GET', '/v1/operator-messages', { key: admin })).json.items).toHaveLength(2);
    expect((await api('GET', '/v1/operator-messages?owner=bob', { key: admin })).json.items.map((m: { keyId: string }) => m.keyId)).toEqual([keys.bob]);

    const alicesMessage = alicesList.json.items[0].id;
    const byBob = await api('POST', `/v1/operator-messages/${alicesMessage}/acknowledge`, { key: bob });
    expect(byBob.status).toBe(404);
    expect((await storedItems(deps)).find((i) => i.pk === `OPMSG#${alicesMessage}`)?.acknowledgedAt).toBeUndefined();
    const byAlice = await api('POST', `/v1/operator-messages/${alicesMessage}/acknowledge`, { key: alice });
    expect(byAlice.status).toBe(200);
    expect(byAlice.json).toMatchObject({ owner: 'alice', acknowledgedBy: { owner: 'alice' } });
  });

  it('stored before messages had owners are shown to admins only', async () => {
    const createdAt = clock().toISOString();
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: { pk: 'OPMSG#msg_0000000000000001', sk: 'OPMSG', gsi2pk: 'OPMSGS', gsi2sk: `${createdAt}#msg_0000000000000001`, id: 'msg_0000000000000001', channelId: 'ch_0000000000000000000001', channelName: 'ops', keyId: '0000000000000000000001', subject: 's', text: 't', createdAt },
      }),
    );
    const bob = await keyOf('bob', ['operator-messages:read', 'operator-messages:write']);
    expect((await api('GET', '/v1/operator-messages', { key: bob })).json.items).toEqual([]);
    expect((await api('POST', '/v1/operator-messages/msg_0000000000000001/acknowledge', { key: bob })).status).toBe(404);
    expect((await api('GET', '/v1/operator-messages', { key: admin })).json.items).toEqual([expect.objectContaining({ id: 'msg_0000000000000001', owner: null })]);
    expect((await api('POST', '/v1/operator-messages/msg_0000000000000001/acknowledge', { key: admin })).status).toBe(200);
  });
});
