import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { notify } from '../../functions/reminders/handlers/notifier.js';
import type { ChannelDeps, HostResolver } from '../../functions/channels/channel-deps.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { LOCAL_WEBHOOK_RANGES } from '../../dev/local-notifications.js';
import { capturedOutput } from '../support/capture-logs.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { webhookReceiver } from '../support/notifications.js';
import { apiClient, storedItems } from './api-client.js';

/**
 * Webhook targets (SSRF): the AWS default (no notification settings) refuses non-public hosts
 * at creation and at send time; the notifier connects to the address it vetted; what a key's
 * details say of a failure is generic, and the specifics are in the log only.
 */
const START = new Date('2026-11-23T12:00:00.000Z');
const HOOK_HOST = 'hooks.keygate.test';

let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;
const closers: (() => Promise<void>)[] = [];

async function setUp(notifications: ChannelDeps | undefined) {
  clock = testClock(START);
  const base = await freshDeps({ clock: clock.now });
  deps = notifications === undefined ? base : { ...base, notifications };
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
}

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  await gateway.close();
});

/** A resolver for HOOK_HOST that answers `answers[i]` to the i-th question (the last one after that), and counts them. */
function fakeDns(...answers: string[]): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string) => {
    asked.push(host);
    if (host !== HOOK_HOST) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const address = answers[Math.min(asked.length - 1, answers.length - 1)] as string;
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };
  return Object.assign(resolve, { asked });
}

async function receiver(status = 204, headers: Record<string, string> = {}) {
  const r = await webhookReceiver(status, headers);
  closers.push(r.close);
  return r;
}

/** Creates a key notifying on the channel and fires its notification; the outcome and the key's details. */
async function fireOn(channelId: string) {
  const key = await api('POST', '/v1/keys', {
    key: admin,
    body: { name: 'billing-sync', owner: 'admin', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at: '2026-12-01T00:00:00Z', channelId } },
  });
  expect(key.status).toBe(201);
  const stored = (await storedItems(deps)).find((i) => i.pk === `KEY#${key.json.id}`) as Record<string, any>;
  clock.set(new Date(stored.notification.at));
  const outcome = await notify({ keyId: key.json.id, slot: 'own', rev: stored.notification.rev }, deps);
  const details = await api('GET', `/v1/keys/${key.json.id}`, { key: admin });
  return { outcome, notification: details.json.notification };
}

async function webhookChannel(url: string): Promise<string> {
  const response = await api('POST', '/v1/channels', { key: admin, body: { type: 'webhook', name: 'hook', url } });
  expect(response.status).toBe(201);
  return response.json.id;
}

describe('with the AWS default (no local settings)', () => {
  beforeEach(() => setUp(undefined));

  it.each([
    ['https://10.0.0.5/hook', /10\.0\.0\.5 is a private address \(RFC 1918\)/],
    ['https://169.254.169.254/latest/meta-data/', /link-local/],
    ['https://[::1]/hook', /loopback/],
    ['https://[fd00::1]/hook', /unique local/],
    ['https://[::ffff:192.168.0.1]/hook', /private/],
    ['https://100.64.1.1/hook', /CGNAT/],
    ['https://localhost/hook', /local or internal host/],
    ['https://vault.internal/hook', /local or internal host/],
    ['http://127.0.0.1:8080/hook', /must use https/],
  ])('refuses a channel to %s with 400 and stores nothing', async (url, message) => {
    const response = await api('POST', '/v1/channels', { key: admin, body: { type: 'webhook', name: 'hook', url } });
    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'invalid_channel', message: expect.stringMatching(message) });
    expect((await storedItems(deps)).filter((i) => String(i.pk).startsWith('CHANNEL'))).toEqual([]);
  });

  it('refuses to send to a receiver on 127.0.0.1 (a channel stored before these checks), with a generic detail', async () => {
    const hook = await receiver();
    const createdAt = clock().toISOString();
    const id = 'ch_0000000000000000000009';
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.tableName,
        Item: { pk: `CHANNEL#${id}`, sk: 'CHANNEL', gsi2pk: 'CHANNELS', gsi2sk: `${createdAt}#${id}`, id, name: 'old-hook', type: 'webhook', url: hook.url, signingSecret: `whsec_${'A'.repeat(43)}=`, createdAt, createdBy: { owner: 'admin' } },
      }),
    );
    const { outcome, notification } = await fireOn(id);
    expect(outcome).toEqual({ result: 'failed', detail: 'webhook delivery refused: address not allowed' });
    expect(notification).toMatchObject({ status: 'failed', detail: 'webhook delivery refused: address not allowed' });
    expect(hook.received).toEqual([]);
    expect(capturedOutput()).toContain('127.0.0.1 resolves to 127.0.0.1, a loopback address');
  });
});

describe('at send time', () => {
  it('refuses a host name that resolves to a private address, asks once, and says only "address not allowed"', async () => {
    const dns = fakeDns('10.0.0.5');
    await setUp({ resolveHost: dns });
    const { outcome, notification } = await fireOn(await webhookChannel(`https://${HOOK_HOST}/hook`));
    expect(outcome).toEqual({ result: 'failed', detail: 'webhook delivery refused: address not allowed' });
    expect(notification.detail).toBe('webhook delivery refused: address not allowed');
    expect(dns.asked).toEqual([HOOK_HOST]);
    const audit = (await storedItems(deps)).find((i) => i.action === 'notification.failed') as Record<string, any>;
    expect(JSON.stringify(audit)).not.toContain('10.0.0.5');
    expect(capturedOutput()).toContain(`${HOOK_HOST} resolves to 10.0.0.5, a private address (RFC 1918)`);
  });

  it('connects to the address it vetted and does not ask DNS again (a rebinding answer is never used)', async () => {
    const hook = await receiver();
    const port = new URL(hook.url).port;
    // First answer: the (allowed, local) receiver; any later one would be an internal host.
    const dns = fakeDns('127.0.0.1', '10.0.0.5');
    await setUp({ allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES, resolveHost: dns });
    const { outcome } = await fireOn(await webhookChannel(`http://${HOOK_HOST}:${port}/hooks/keygate`));
    expect(outcome).toEqual({ result: 'sent' });
    // The name exists only in the fake resolver: the request reached 127.0.0.1 through the pinned address.
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]?.headers.host).toBe(`${HOOK_HOST}:${port}`);
    expect(dns.asked).toEqual([HOOK_HOST]);
  });

  it('does not follow a redirect', async () => {
    const elsewhere = await receiver();
    const hook = await receiver(302, { location: elsewhere.url });
    await setUp({ allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES });
    const { outcome } = await fireOn(await webhookChannel(hook.url));
    expect(outcome).toEqual({ result: 'failed', detail: 'webhook delivery failed: HTTP 302' });
    expect(hook.received).toHaveLength(1);
    expect(elsewhere.received).toEqual([]);
  });

  it('records an HTTP error as its status only', async () => {
    const hook = await receiver(404);
    await setUp({ allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES });
    const { notification } = await fireOn(await webhookChannel(hook.url));
    expect(notification).toMatchObject({ status: 'failed', detail: 'webhook delivery failed: HTTP 404' });
  });

  it('records a refused connection as "connection error", never the socket error; the log has it', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((done) => probe.close(done));
    await setUp({ allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES });
    const { outcome, notification } = await fireOn(await webhookChannel(`http://127.0.0.1:${port}/hook`));
    expect(outcome).toEqual({ result: 'failed', detail: 'webhook delivery failed: connection error' });
    expect(notification.detail).toBe('webhook delivery failed: connection error');
    const stored = JSON.stringify(await storedItems(deps));
    expect(stored).not.toContain('ECONNREFUSED');
    expect(capturedOutput()).toContain(`ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}`);
  }, 30_000);
});

describe('signing secrets at rest', () => {
  beforeEach(() => setUp({ allowHttpWebhooks: true, privateWebhookRanges: LOCAL_WEBHOOK_RANGES }));

  /** Verifies a delivery the Standard Webhooks way, as of its own timestamp (the test clock is not today). */
  function verify(secret: string, delivery: { body: string; headers: Record<string, unknown> } | undefined) {
    const headers = (delivery?.headers ?? {}) as Record<string, string>;
    vi.useFakeTimers({ toFake: ['Date'], now: Number(headers['webhook-timestamp']) * 1000 });
    try {
      return new Webhook(secret).verify(delivery?.body ?? '', headers);
    } finally {
      vi.useRealTimers();
    }
  }

  const channelItem = async (id: string) => (await storedItems(deps)).find((i) => i.pk === `CHANNEL#${id}`) as Record<string, any>;

  it('stores only the sealed secret; the notifier opens it and signs with the secret the create response showed', async () => {
    const hook = await receiver();
    const created = await api('POST', '/v1/channels', { key: admin, body: { type: 'webhook', name: 'hook', url: hook.url } });
    expect(created.status).toBe(201);
    const secret = created.json.signingSecret as string;
    expect(secret).toMatch(/^whsec_/);
    const item = await channelItem(created.json.id);
    expect(item.signingSecret).toBeUndefined();
    expect(item.sealedSecret).toMatch(/^aesgcm:/);
    const everything = JSON.stringify(await storedItems(deps));
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice('whsec_'.length));

    expect((await fireOn(created.json.id)).outcome).toEqual({ result: 'sent' });
    expect(verify(secret, hook.received[0])).toMatchObject({ type: 'key.expiring' });
    expect(() => verify(`whsec_${Buffer.alloc(32).toString('base64')}`, hook.received[0])).toThrow();
  });

  it("does not open a sealed secret copied onto another channel's item: nothing is sent, the detail says only that", async () => {
    const hook = await receiver();
    const first = await webhookChannel(hook.url);
    const second = (await api('POST', '/v1/channels', { key: admin, body: { type: 'webhook', name: 'other-hook', url: hook.url } })).json.id as string;
    const copied = { ...(await channelItem(second)), sealedSecret: (await channelItem(first)).sealedSecret };
    await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: copied }));

    const { outcome, notification } = await fireOn(second);
    expect(outcome).toEqual({ result: 'failed', detail: 'webhook delivery failed: the signing secret could not be opened' });
    expect(notification).toMatchObject({ status: 'failed', detail: 'webhook delivery failed: the signing secret could not be opened' });
    expect(hook.received).toEqual([]);
    expect(capturedOutput()).toContain('webhook signing secret could not be opened');
  });

  it('still signs for a channel stored before secrets were sealed (its plaintext secret)', async () => {
    const hook = await receiver();
    const id = await webhookChannel(hook.url);
    const legacySecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const { sealedSecret: _sealed, ...legacy } = await channelItem(id);
    await deps.ddb.send(new PutCommand({ TableName: deps.tableName, Item: { ...legacy, signingSecret: legacySecret } }));
    expect((await fireOn(id)).outcome).toEqual({ result: 'sent' });
    expect(verify(legacySecret, hook.received[0])).toMatchObject({ type: 'key.expiring' });
  });
});
