import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { type LocalNotifications, type LocalSchedules, startLocalNotifications } from '../../dev/local-notifications.js';
import { freshDeps, startGateway } from '../support/dynamodb.js';
import { clientConfig, waitFor, webhookReceiver, withLocalNotifications } from '../support/notifications.js';
import { apiClient } from './api-client.js';

/**
 * End to end on the local run's stand-ins, in real time: the API writes a key with a
 * notification a few seconds ahead; the stream reader syncs it to a schedule in DynamoDB Local;
 * the firing loop calls the notifier, which sends the webhook or writes the outbox file.
 */
let deps: Deps;
let outboxDir: string;
let schedules: LocalSchedules;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;
let runner: LocalNotifications | undefined;
const lines: string[] = [];

beforeEach(async () => {
  ({ deps, outboxDir, schedules } = withLocalNotifications(await freshDeps()));
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
  runner = await startLocalNotifications(deps, { clientConfig: clientConfig(), intervalMs: 250, log: (line) => lines.push(line) });
});

afterEach(async () => {
  await runner?.stop();
  await gateway.close();
});

const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();

async function createKeyNotifying(channelId: string, at: string) {
  const response = await api('POST', '/v1/keys', {
    key: admin,
    body: { name: 'billing-sync', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at, channelId } },
  });
  expect(response.status).toBe(201);
  return response.json;
}

describe('npm start notifications, end to end', () => {
  it('sends a signed webhook once, a few seconds after its time, and the signature verifies', async () => {
    const receiver = await webhookReceiver();
    try {
      const channel = await api('POST', '/v1/channels', { key: admin, body: { type: 'webhook', name: 'hooks', url: receiver.url } });
      expect(channel.status).toBe(201);
      const at = inSeconds(3);
      const key = await createKeyNotifying(channel.json.id, at);
      const hook = await waitFor(() => receiver.received[0]);
      const delay = hook.at - Date.parse(key.notification.at);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(5_000); // "within a few seconds", with room for a loaded CI machine
      console.log(`local firing delay: ${delay} ms after the notification time`);

      const payload = new Webhook(channel.json.signingSecret).verify(hook.body, hook.headers as Record<string, string>) as Record<string, any>;
      expect(payload).toMatchObject({ type: 'key.expiring', data: { key: { id: key.id, name: 'billing-sync', owner: 'alice' }, expiryReason: 'expires_at' } });
      expect(hook.body).not.toContain(admin);
      // Tampering with the body breaks the signature.
      expect(() => new Webhook(channel.json.signingSecret).verify(hook.body.replace('alice', 'mallory'), hook.headers as Record<string, string>)).toThrow();

      await waitFor(async () => ((await api('GET', `/v1/keys/${key.id}`, { key: admin })).json.notification.status === 'sent' ? true : undefined));
      await new Promise((done) => setTimeout(done, 1_500));
      expect(receiver.received).toHaveLength(1);
      expect(await schedules.list()).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('writes an email channel message to one readable file in the outbox', async () => {
    const channel = await api('POST', '/v1/channels', { key: admin, body: { type: 'email', name: 'owners', addresses: ['alice@example.com', 'ops@example.com'] } });
    expect(channel.status).toBe(201);
    const key = await createKeyNotifying(channel.json.id, inSeconds(2));
    const files = await waitFor(() => {
      const found = readdirSync(outboxDir);
      return found.length > 0 ? found : undefined;
    });
    expect(files).toHaveLength(1);
    const mail = readFileSync(join(outboxDir, files[0] as string), 'utf8');
    expect(mail).toContain('To: alice@example.com, ops@example.com');
    expect(mail).toContain('Subject: keygate: API key "billing-sync" of alice expires in 30 days');
    expect(mail).toContain(`id ${key.id}, owner alice`);
    expect(mail).toContain(`DELETE /v1/keys/${key.id}`);
  });

  it('fires a schedule that fell due while keygate was stopped, once it runs again', async () => {
    await runner?.stop();
    runner = undefined;
    const channel = await api('POST', '/v1/channels', { key: admin, body: { type: 'operator', name: 'ops' } });
    // Synced while "running", then stopped before it is due.
    const once = await startLocalNotifications(deps, { clientConfig: clientConfig(), intervalMs: 0 });
    const key = await createKeyNotifying(channel.json.id, inSeconds(2));
    await once.tick();
    await once.stop();
    expect(await schedules.list()).toEqual([expect.objectContaining({ name: `key-${key.id}-own` })]);
    await new Promise((done) => setTimeout(done, 2_500));
    runner = await startLocalNotifications(deps, { clientConfig: clientConfig(), intervalMs: 250 });
    const messages = await waitFor(async () => {
      const listed = await api('GET', '/v1/operator-messages', { key: admin });
      return listed.json.items.length > 0 ? listed.json.items : undefined;
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ keyId: key.id, channelId: channel.json.id, acknowledgedAt: null });
  });
});
