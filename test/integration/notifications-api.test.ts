import { afterEach, beforeEach, describe, expect, it } from 'vitest';
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

const START = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;

let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;

async function setUp(options: { local: boolean }) {
  clock = testClock(START);
  const base = await freshDeps({ clock: clock.now });
  deps = options.local ? withLocalNotifications(base).deps : base;
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
}

afterEach(async () => {
  await gateway.close();
});

const createChannel = (body: Record<string, unknown>, key = admin) => api('POST', '/v1/channels', { key, body });
const createKey = (body: Record<string, unknown>) => api('POST', '/v1/keys', { key: admin, body: { name: 'ci-deploy', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', ...body } });
const storedKey = async (id: string) => (await storedItems(deps)).find((i) => i.pk === `KEY#${id}`) as Record<string, any>;

describe('alert channels', () => {
  beforeEach(() => setUp({ local: false }));

  it('creates each type, shows a webhook signing secret only in the create response, lists and deletes them', async () => {
    const email = await createChannel({ type: 'email', name: 'Owners', addresses: ['Alice@Example.com', 'alice@example.com', 'ops@example.com'] });
    expect(email.status).toBe(201);
    expect(email.json).toMatchObject({ id: expect.stringMatching(/^ch_[0-9A-Za-z]{22}$/), type: 'email', name: 'Owners', addresses: ['alice@example.com', 'ops@example.com'] });
    expect(email.headers.get('location')).toBe(`/v1/channels/${email.json.id}`);

    clock.advance(1_000); // listings are newest first by creation time
    const hook = await createChannel({ type: 'webhook', name: 'siem', url: 'https://hooks.example.com/keygate' });
    expect(hook.status).toBe(201);
    expect(hook.json.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    clock.advance(1_000);
    const operator = await createChannel({ type: 'operator', name: 'operators' });
    expect(operator.status).toBe(201);

    const listed = await api('GET', '/v1/channels', { key: admin });
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((c: { name: string }) => c.name)).toEqual(['operators', 'siem', 'Owners']);
    expect(JSON.stringify(listed.json)).not.toContain(hook.json.signingSecret);
    const got = await api('GET', `/v1/channels/${hook.json.id}`, { key: admin });
    expect(got.json).toEqual({
      id: hook.json.id,
      type: 'webhook',
      name: 'siem',
      owner: 'admin',
      adminChannel: true,
      url: 'https://hooks.example.com/keygate',
      createdAt: '2026-11-23T12:00:01.000Z',
      createdBy: expect.objectContaining({ owner: 'admin' }),
    });
    expect(got.json.signingSecret).toBeUndefined();

    expect((await api('DELETE', `/v1/channels/${email.json.id}`, { key: admin })).status).toBe(204);
    expect((await api('GET', `/v1/channels/${email.json.id}`, { key: admin })).status).toBe(404);
    expect((await api('DELETE', `/v1/channels/${email.json.id}`, { key: admin })).status).toBe(404);
    // The name is free again.
    expect((await createChannel({ type: 'email', name: 'owners', addresses: ['a@example.com'] })).status).toBe(201);
  });

  it('gives a name to one channel (case-insensitively)', async () => {
    expect((await createChannel({ type: 'operator', name: 'ops' })).status).toBe(201);
    const again = await createChannel({ type: 'operator', name: 'OPS' });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('name_taken');
  });

  it.each([
    ['a webhook URL that is not https', { type: 'webhook', name: 'h', url: 'http://hooks.example.com/x' }, 'invalid_channel', /https/],
    ['a webhook URL with credentials', { type: 'webhook', name: 'h', url: 'https://user:pw@hooks.example.com/x' }, 'invalid_channel', /user name or password/],
    ['a webhook URL that is no URL', { type: 'webhook', name: 'h', url: 'hooks' }, 'invalid_request', /url/],
    ['more addresses than the deployment allows', { type: 'email', name: 'e', addresses: Array.from({ length: 11 }, (_, i) => `u${i}@example.com`) }, 'too_many_addresses', /at most 10 addresses; got 11/],
    ['more than 50 addresses', { type: 'email', name: 'e', addresses: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) }, 'invalid_request', /at most 50/],
    ['no address', { type: 'email', name: 'e', addresses: [] }, 'invalid_request', /at least one address/],
    ['a bad address', { type: 'email', name: 'e', addresses: ['not-an-address'] }, 'invalid_request', /email/],
    ['an unknown type', { type: 'sms', name: 's' }, 'invalid_request', /type/],
  ])('refuses %s with 400', async (_what, body, code, message) => {
    const response = await createChannel(body);
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toMatch(message);
    expect((await storedItems(deps)).filter((i) => String(i.pk).startsWith('CHANNEL'))).toEqual([]);
  });

  it('needs channels:write to create and channels:read to list', async () => {
    const reader = (await createKey({ name: 'reader', permissions: ['channels:read'] })).json.key;
    expect((await api('GET', '/v1/channels', { key: reader })).status).toBe(200);
    expect((await createChannel({ type: 'operator', name: 'x' }, reader)).status).toBe(403);
    const nobody = (await createKey({ name: 'nobody', permissions: ['alerts:read'] })).json.key;
    expect((await api('GET', '/v1/channels', { key: nobody })).status).toBe(403);
    expect((await api('GET', '/v1/operator-messages', { key: nobody })).status).toBe(403);
  });
});

describe('a key notification', () => {
  let channelId: string;
  beforeEach(async () => {
    await setUp({ local: false });
    channelId = (await createChannel({ type: 'operator', name: 'ops' })).json.id;
  });

  it('is set at create, absolute or relative to the expiry, and shown in details and lists', async () => {
    const absolute = await createKey({ notification: { at: '2026-12-20T09:00:00.4Z', channelId } });
    expect(absolute.status).toBe(201);
    expect(absolute.json.notification).toEqual({ at: '2026-12-20T09:00:01.000Z', channelId, before: null, status: 'scheduled', firedAt: null });
    expect(absolute.json.defaultNotifications).toEqual([]);
    const relative = await createKey({ name: 'relative', notification: { at: 'P7D', channelId } });
    expect(relative.json.notification).toMatchObject({ at: '2026-12-16T12:00:00.000Z', before: 'P7D' });
    const listed = await api('GET', '/v1/keys?owner=alice', { key: admin });
    expect(listed.json.items.map((k: { notification: { at: string } }) => k.notification.at).sort()).toEqual(['2026-12-16T12:00:00.000Z', '2026-12-20T09:00:01.000Z']);
    const stored = await storedKey(relative.json.id);
    expect(stored.notification).toEqual({ at: '2026-12-16T12:00:00.000Z', channelId, before: 'P7D', rev: expect.any(String) });
  });

  it('is changed, cancelled with null and re-set by PATCH; unchanged it keeps its rev', async () => {
    const key = (await createKey({ notification: { at: 'P7D', channelId } })).json;
    const rev = (await storedKey(key.id)).notification.rev;
    expect((await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { description: 'renamed' } })).status).toBe(200);
    expect((await storedKey(key.id)).notification.rev).toBe(rev);

    const moved = await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: { at: 'P2D', channelId } } });
    expect(moved.json.notification).toMatchObject({ at: '2026-12-21T12:00:00.000Z', before: 'P2D' });
    expect((await storedKey(key.id)).notification.rev).not.toBe(rev);

    const cancelled = await api('PATCH', `/v1/keys/${key.id}`, { key: admin, body: { notification: null } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ notification: null, defaultNotifications: [] });
    expect((await storedKey(key.id)).notification).toBeNull();
  });

  it('follows a shortened expiry when relative, and must still fit when absolute', async () => {
    const relative = (await createKey({ notification: { at: 'P7D', channelId } })).json;
    const shortened = await api('PATCH', `/v1/keys/${relative.id}`, { key: admin, body: { expiresIn: 'P20D' } });
    expect(shortened.json.notification).toMatchObject({ at: '2026-12-06T12:00:00.000Z', before: 'P7D' });
    const tooShort = await api('PATCH', `/v1/keys/${relative.id}`, { key: admin, body: { expiresIn: 'P3D' } });
    expect(tooShort.status).toBe(400);
    expect(tooShort.json.error.message).toMatch(/in the past.*change or cancel the notification in the same request/);
    expect((await api('PATCH', `/v1/keys/${relative.id}`, { key: admin, body: { expiresIn: 'P3D', notification: { at: 'P1D', channelId } } })).status).toBe(200);

    const absolute = (await createKey({ name: 'absolute', notification: { at: '2026-12-20T00:00:00Z', channelId } })).json;
    const cut = await api('PATCH', `/v1/keys/${absolute.id}`, { key: admin, body: { expiresIn: 'P10D' } });
    expect(cut.status).toBe(400);
    expect(cut.json.error.message).toMatch(/not before the key expires/);
  });

  it.each([
    ['`at` in the past', { at: '2026-11-23T11:59:00Z' }, 'invalid_notification', /in the past/],
    ['`at` now', { at: '2026-11-23T12:00:00Z' }, 'invalid_notification', /in the past/],
    ['`at` after the expiry', { at: '2026-12-24T12:00:00Z' }, 'invalid_notification', /not before the key expires \(2026-12-23T12:00:00.000Z\)/],
    ['`at` at the expiry', { at: 'PT0S' }, 'invalid_request', /positive duration/],
    ['a duration longer than the key lives', { at: 'P31D' }, 'invalid_notification', /in the past/],
    ['a date that is not ISO 8601', { at: '24/12/2026' }, 'invalid_notification', /ISO 8601/],
  ])('refuses %s with 400 and stores nothing', async (_what, notification, code, message) => {
    const response = await createKey({ notification: { channelId, ...notification } });
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe(code);
    expect(response.json.error.message).toMatch(message);
    expect((await storedItems(deps)).filter((i) => i.sk === 'KEY' && i.owner === 'alice')).toEqual([]);
  });

  it('refuses an unknown channel with 400 unknown_channel', async () => {
    const response = await createKey({ notification: { at: 'P7D', channelId: 'ch_0000000000000000000000' } });
    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'unknown_channel', message: expect.stringContaining('ch_0000000000000000000000') });
    const malformed = await createKey({ notification: { at: 'P7D', channelId: 'ops' } });
    expect(malformed.status).toBe(400);
  });
});

describe('deployment default notifications', () => {
  beforeEach(() => setUp({ local: false }));

  it('are P7D and P1D before expiry to the channel named "operators", only once it exists, and not for keys that opt out', async () => {
    const before = await createKey({ name: 'before-channel' });
    expect(before.json.defaultNotifications).toEqual([]);
    const channelId = (await createChannel({ type: 'operator', name: 'operators' })).json.id;
    const key = await createKey({ name: 'with-defaults' });
    expect(key.json.notification).toBeNull();
    expect(key.json.defaultNotifications).toEqual([
      { at: '2026-12-16T12:00:00.000Z', channelId, before: 'P7D', status: 'scheduled', firedAt: null },
      { at: '2026-12-22T12:00:00.000Z', channelId, before: 'P1D', status: 'scheduled', firedAt: null },
    ]);
    const short = await createKey({ name: 'short', expiresIn: 'P3D' });
    expect(short.json.defaultNotifications.map((n: { before: string }) => n.before)).toEqual(['P1D']);
    const optedOut = await createKey({ name: 'opted-out', notification: null });
    expect(optedOut.json).toMatchObject({ notification: null, defaultNotifications: [] });
    // A notification of its own replaces the defaults.
    const own = await api('PATCH', `/v1/keys/${key.json.id}`, { key: admin, body: { notification: { at: 'P3D', channelId } } });
    expect(own.json.defaultNotifications).toEqual([]);
    expect(own.json.notification).toMatchObject({ before: 'P3D' });
  });
});

describe('operator messages', () => {
  beforeEach(() => setUp({ local: true }));

  it('holds what an operator channel got, newest first, with an acknowledge action', async () => {
    const channelId = (await createChannel({ type: 'operator', name: 'ops' })).json.id;
    const first = (await createKey({ name: 'first', notification: { at: '2026-11-24T12:00:00Z', channelId } })).json;
    const second = (await createKey({ name: 'second', notification: { at: '2026-11-25T12:00:00Z', channelId } })).json;
    for (const key of [first, second]) {
      const stored = await storedKey(key.id);
      clock.set(new Date(stored.notification.at));
      expect(await notify({ keyId: key.id, slot: 'own', rev: stored.notification.rev }, deps)).toEqual({ result: 'sent' });
    }
    const listed = await api('GET', '/v1/operator-messages', { key: admin });
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((m: { keyId: string }) => m.keyId)).toEqual([second.id, first.id]);
    const message = listed.json.items[1];
    expect(message).toMatchObject({ channelId, channelName: 'ops', acknowledgedAt: null, subject: 'keygate: API key "first" of alice expires in 29 days' });
    expect(message.text).toContain(`The keygate API key "first" (id ${first.id}, owner alice) expires at ${first.expiresAt} (UTC), in 29 days.`);
    expect(message.text).toContain('What to do:');

    const page = await api('GET', '/v1/operator-messages?limit=1', { key: admin });
    expect(page.json.items).toHaveLength(1);
    const next = await api('GET', `/v1/operator-messages?limit=1&cursor=${page.json.nextCursor}`, { key: admin });
    expect(next.json.items[0].id).toBe(message.id);

    clock.advance(DAY);
    const acked = await api('POST', `/v1/operator-messages/${message.id}/acknowledge`, { key: admin });
    expect(acked.status).toBe(200);
    expect(acked.json).toMatchObject({ id: message.id, acknowledgedAt: '2026-11-26T12:00:00.000Z', acknowledgedBy: { owner: 'admin' } });
    clock.advance(DAY);
    const again = await api('POST', `/v1/operator-messages/${message.id}/acknowledge`, { key: admin });
    expect(again.json.acknowledgedAt).toBe('2026-11-26T12:00:00.000Z');
    const open = await api('GET', '/v1/operator-messages?acknowledged=false', { key: admin });
    expect(open.json.items.map((m: { keyId: string }) => m.keyId)).toEqual([second.id]);
    expect((await api('POST', '/v1/operator-messages/msg_0000000000000000/acknowledge', { key: admin })).status).toBe(404);

    const details = await api('GET', `/v1/keys/${first.id}`, { key: admin });
    expect(details.json.notification).toMatchObject({ status: 'sent', firedAt: '2026-11-24T12:00:00.000Z' });
  });
});
