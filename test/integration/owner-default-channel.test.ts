import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fireNotification } from '../../functions/reminders/notifier.js';
import { createKey, type KeygateWorld, keygateWorld } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * Owners hear about their own keys (issue 14, item 8): an owner marks one of its channels as its
 * default, and the default reminders (P7D and P1D before expiry) of its keys go there, and to the
 * admin channel `operators` too only when the deployment says so.
 */
let world: KeygateWorld;
let alice: string;
let operators: string;
const OWNER_GRANTS = ['keys:read', 'keys:write', 'channels:read', 'channels:write', 'operator-messages:read', 'alerts:read'];

beforeEach(async () => {
  world = await keygateWorld();
  alice = (await createKey(world, { owner: 'alice', permissions: OWNER_GRANTS })).key;
  operators = (await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'operators', type: 'operator' } })).json.id;
});

afterEach(async () => {
  await world.close();
});

async function aliceChannel(name = 'alice-ops') {
  const created = await world.api('POST', '/v1/channels', { key: alice, body: { name, type: 'operator' } });
  expect(created.status).toBe(201);
  return created.json.id as string;
}

async function aliceKeyDefaults() {
  const created = await world.api('POST', '/v1/keys', { key: alice, body: { name: `k-${Math.random()}`, permissions: ['alerts:read'],
    expiresIn: 'P30D' } });
  expect(created.status).toBe(201);
  return created.json as { id: string; defaultNotifications: { channelId: string; before: string; status: string }[] };
}

type WithDefaults = { defaultNotifications: { channelId: string; before: string }[] };
const targets = (key: WithDefaults) => key.defaultNotifications.map((n) => `${n.before}→${n.channelId}`);

describe("an owner's default channel", () => {
  it('gets the default reminders of the keys its owner creates from then on, instead of the admin channel', async () => {
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${operators}`, `P1D→${operators}`]);
    const own = await aliceChannel();
    const set = await world.api('POST', `/v1/channels/${own}/default`, { key: alice });
    expect(set.status).toBe(200);
    expect(set.json).toEqual({ owner: 'alice', channelId: own });
    const key = await aliceKeyDefaults();
    expect(targets(key)).toEqual([`P7D→${own}`, `P1D→${own}`]);
    expect(key.defaultNotifications.every((n) => n.status === 'scheduled')).toBe(true);

    // The reminder reaches the owner: an operator message on its own channel.
    type Stored = { defaultNotifications: { rev: string; at: string }[] };
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`) as Stored;
    const first = stored.defaultNotifications[0] as { rev: string; at: string };
    world.clock.set(new Date(first.at));
    expect(await fireNotification(world.deps, { keyId: key.id, slot: 'default-0', rev: first.rev })).toEqual({ result: 'sent' });
    const messages = await world.api('GET', '/v1/operator-messages', { key: alice });
    expect(messages.json.items).toEqual([expect.objectContaining({ channelId: own, owner: 'alice' })]);

    const audit = (await storedItems(world.deps)).filter((item) => item.action === 'channel.default');
    expect(audit).toEqual([expect.objectContaining({ target: { type: 'channel', id: own }, details: { owner: 'alice', default: true } })]);
  });

  it('also sends them to the admin channel when the deployment says so', async () => {
    world.deps.config = { ...world.deps.config, notifications: { ...world.deps.config.notifications, defaultsAlsoToAdminChannel: true } };
    const own = await aliceChannel();
    await world.api('POST', `/v1/channels/${own}/default`, { key: alice });
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${own}`, `P1D→${own}`, `P7D→${operators}`, `P1D→${operators}`]);
  });

  it('is one per owner: a second replaces the first, and clearing it sends reminders to the admin channel again', async () => {
    const first = await aliceChannel('first');
    const second = await aliceChannel('second');
    await world.api('POST', `/v1/channels/${first}/default`, { key: alice });
    await world.api('POST', `/v1/channels/${second}/default`, { key: alice });
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${second}`, `P1D→${second}`]);
    expect((await world.api('DELETE', `/v1/channels/${first}/default`, { key: alice })).status).toBe(409);
    const cleared = await world.api('DELETE', `/v1/channels/${second}/default`, { key: alice });
    expect(cleared.json).toEqual({ owner: 'alice', channelId: null });
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${operators}`, `P1D→${operators}`]);
  });

  it('counts as none once its channel is deleted', async () => {
    const own = await aliceChannel();
    await world.api('POST', `/v1/channels/${own}/default`, { key: alice });
    expect((await world.api('DELETE', `/v1/channels/${own}`, { key: alice })).status).toBe(204);
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${operators}`, `P1D→${operators}`]);
  });

  it("can be set by the owner's principals and admins only: another owner's channel answers 404", async () => {
    const own = await aliceChannel();
    const mallory = (await createKey(world, { owner: 'mallory', permissions: ['channels:write'] })).key;
    expect((await world.api('POST', `/v1/channels/${own}/default`, { key: mallory })).status).toBe(404);
    expect((await world.api('POST', `/v1/channels/${own}/default`, { key: world.admin })).json).toEqual({ owner: 'alice', channelId: own });
    expect(targets(await aliceKeyDefaults())).toEqual([`P7D→${own}`, `P1D→${own}`]);
  });
});
