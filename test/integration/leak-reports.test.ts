import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { issueSecret } from '../../functions/keys/key-string.js';
import { fireNotification } from '../../functions/reminders/notifier.js';
import { desiredSchedules } from '../../functions/reminders/schedules.js';
import { newKeyId } from '../../functions/shared/ids.js';
import { countCalls } from '../support/ddb-calls.js';
import { createKey, type KeygateWorld, keygateWorld } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * GitHub secret scanning reports (POST /v1/leaks/github) end to end over DynamoDB Local: this
 * test plays GitHub, with its own P-256 key pair published by a local HTTP server in GitHub's
 * format, and signs its reports the way GitHub does (ECDSA P-256 SHA-256 over the raw body).
 */
const KEY_ID = 'f9525bf080f75b3506ca1ead061add62b8633a346606dc5fe544e29231c6ee0d';
const TYPE = 'keygate_api_key';

function p256() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

const github = p256();
const impostor = p256();
let keyServer: Server;
let keysUrl: string;
let keyFetches = 0;
let world: KeygateWorld;

function publicPem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString();
}

function signed(body: string, privateKey = github.privateKey, keyIdentifier = KEY_ID): Record<string, string> {
  const signature = sign('sha256', Buffer.from(body), { key: privateKey, dsaEncoding: 'der' }).toString('base64');
  return { 'content-type': 'application/json', 'github-public-key-identifier': keyIdentifier, 'github-public-key-signature': signature };
}

function report(tokens: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify(tokens.map((token) => ({ token, type: TYPE, url: 'https://github.com/octo/repo/blob/abc/config.env',
    source: 'content', ...extra })));
}

function post(body: string, headers: Record<string, string>) {
  return world.api('POST', '/v1/leaks/github', { rawBody: body, headers });
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeAll(async () => {
  keyServer = createServer((_req, res) => {
    keyFetches++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ public_keys: [{ key_identifier: KEY_ID, key: publicPem(github.publicKey), is_current: true }] }));
  });
  await new Promise<void>((done) => keyServer.listen(0, '127.0.0.1', done));
  keysUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
});

afterAll(async () => {
  await new Promise((done) => keyServer.close(done));
});

beforeEach(async () => {
  world = await keygateWorld();
  world.deps.config = { ...world.deps.config, leaks: { ...world.deps.config.leaks, githubKeysUrl: keysUrl } };
});

afterEach(async () => {
  await world.close();
});

describe('a signed report', () => {
  it('revokes a reported key at once, labels it true_positive by hash, and audits it', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    const body = report([key.key]);
    const response = await post(body, signed(body));
    expect(response.status).toBe(200);
    expect(response.json).toEqual([{ token_hash: sha256(key.key), token_type: TYPE, label: 'true_positive' }]);
    expect(JSON.stringify(response.json)).not.toContain(key.key);

    const details = await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin });
    expect(details.json).toMatchObject({ status: 'revoked', revokedBy: { owner: 'github-secret-scanning' } });
    expect((await world.api('GET', '/v1/catalog', { key: key.key })).status).toBe(401);

    const items = await storedItems(world.deps);
    const leaked = items.filter((item) => item.action === 'key.leaked');
    expect(leaked).toHaveLength(1);
    expect(leaked[0]).toMatchObject({
      keyId: key.id,
      actor: { owner: 'github-secret-scanning' },
      details: { action: 'revoke', outcome: 'revoked', secret: 'current', type: TYPE, source: 'content',
        url: 'https://github.com/octo/repo/blob/abc/config.env' },
    });
    const summary = items.filter((item) => item.action === 'leak.report');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ details: { matches: 1, falsePositives: 0, keys: [{ keyId: key.id, outcome: 'revoked' }] } });
    // The name is released, as DELETE releases it.
    expect(items.some((item) => typeof item.pk === 'string' && item.pk.startsWith('NAME#alice#'))).toBe(false);
    expect(JSON.stringify(items)).not.toContain(key.key);
  });

  it('labels strings that are no key of this deployment false_positive and changes no key', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    const unknownId = issueSecret('kg', newKeyId()).keyString;
    const wrongSecret = issueSecret('kg', key.id).keyString;
    const notAKey = 'kg_this-is-not-a-key';
    const body = report([unknownId, wrongSecret, notAKey]);
    const response = await post(body, signed(body));
    expect(response.status).toBe(200);
    expect(response.json.map((label: { label: string }) => label.label)).toEqual(['false_positive', 'false_positive', 'false_positive']);
    expect(response.json[1].token_hash).toBe(sha256(wrongSecret));

    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.status).toBe('active');
    const items = await storedItems(world.deps);
    expect(items.filter((item) => item.action === 'key.leaked')).toHaveLength(0);
    const [summary] = items.filter((item) => item.action === 'leak.report');
    expect(summary).toMatchObject({ details: { matches: 3, falsePositives: 3, keys: [] } });
    expect(JSON.stringify(items)).not.toContain(wrongSecret);
  });

  it('labels an already revoked key true_positive and audits that there was nothing to do', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);
    const before = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`);
    const body = report([key.key, key.key]);
    const response = await post(body, signed(body));
    expect(response.json.map((label: { label: string }) => label.label)).toEqual(['true_positive', 'true_positive']);
    const items = await storedItems(world.deps);
    expect(items.find((item) => item.pk === `KEY#${key.id}`)).toEqual(before);
    const leaked = items.filter((item) => item.action === 'key.leaked');
    expect(leaked).toHaveLength(1);
    expect(leaked[0]).toMatchObject({ details: { action: 'none', outcome: 'already_revoked' } });
  });

  it("revokes a key whose previous secret leaked while that secret's grace period runs", async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    const reset = await world.api('POST', `/v1/keys/${key.id}/reset`, { key: world.admin, body: { gracePeriod: 'P1D' } });
    expect(reset.status).toBe(200);
    const body = report([key.key]);
    const response = await post(body, signed(body));
    expect(response.json[0].label).toBe('true_positive');
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.status).toBe('revoked');
    expect((await world.api('GET', '/v1/catalog', { key: reset.json.key })).status).toBe(401);
  });

  it('refuses a signed body that is not a report with a 400, and changes nothing', async () => {
    const body = JSON.stringify({ token: 'kg_x', type: TYPE });
    const before = await storedItems(world.deps);
    const response = await post(body, signed(body));
    expect(response.status).toBe(400);
    expect(await storedItems(world.deps)).toEqual(before);
  });
});

describe('a deployment whose leaks.action is suspend', () => {
  const OWNER_GRANTS = ['keys:read', 'keys:write', 'channels:read', 'channels:write', 'operator-messages:read', 'alerts:read'];

  beforeEach(() => {
    world.deps.config = { ...world.deps.config, leaks: { ...world.deps.config.leaks, action: 'suspend' } };
  });

  it("suspends a reported key, keeps its name, and alerts its owner's default channel a minute later with a key.leaked message", async () => {
    const alice = (await createKey(world, { owner: 'alice', permissions: OWNER_GRANTS })).key;
    const channel = (await world.api('POST', '/v1/channels', { key: alice, body: { name: 'alice-ops', type: 'operator' } })).json.id as string;
    expect((await world.api('POST', `/v1/channels/${channel}/default`, { key: alice })).status).toBe(200);
    const key = await createKey(world, { owner: 'alice', name: 'billing-sync', permissions: ['alerts:read'] });

    const body = report([key.key]);
    const response = await post(body, signed(body));
    expect(response.status).toBe(200);
    expect(response.json[0].label).toBe('true_positive');

    const details = (await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json;
    expect(details).toMatchObject({
      status: 'suspended',
      suspendedBy: { owner: 'github-secret-scanning' },
      suspendedReason: 'GitHub secret scanning found the key string in public at https://github.com/octo/repo/blob/abc/config.env',
      revokedAt: null,
      leakAlerts: [{ channelId: channel, status: 'scheduled', at: new Date(world.clock().getTime() + 60_000).toISOString() }],
    });
    const refused = await world.api('GET', '/v1/catalog', { key: key.key });
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('key_suspended');

    const items = await storedItems(world.deps);
    // Suspended, not deleted: the name stays taken, and it can be resumed.
    expect(items.some((item) => typeof item.pk === 'string' && item.pk.startsWith('NAME#alice#'))).toBe(true);
    const leaked = items.filter((item) => item.action === 'key.leaked');
    expect(leaked).toEqual([expect.objectContaining({ keyId: key.id, details: expect.objectContaining({ action: 'suspend', outcome: 'suspended', alerts: [channel] }) })]);
    expect(items.find((item) => item.action === 'leak.report')).toMatchObject({ details: { keys: [{ keyId: key.id, outcome: 'suspended' }] } });

    // The schedule sync makes one schedule for the alert (besides the key's reminders, which go on
    // running: a suspended key may be resumed); when it fires, the owner reads the message.
    const stored = items.find((item) => item.pk === `KEY#${key.id}`) as never as Parameters<typeof desiredSchedules>[0] & { leakAlerts: { rev: string; at: string }[] };
    const alert = stored.leakAlerts[0] as { rev: string; at: string };
    expect(desiredSchedules(stored, world.clock()).filter((schedule) => schedule.input.slot.startsWith('leak-'))).toEqual([
      { name: `key-${key.id}-leak-0`, at: alert.at, input: { keyId: key.id, slot: 'leak-0', rev: alert.rev } },
    ]);
    world.clock.set(new Date(alert.at));
    expect(await fireNotification(world.deps, { keyId: key.id, slot: 'leak-0', rev: alert.rev })).toEqual({ result: 'sent' });
    expect(await fireNotification(world.deps, { keyId: key.id, slot: 'leak-0', rev: alert.rev })).toMatchObject({ result: 'dropped' });
    const messages = (await world.api('GET', '/v1/operator-messages', { key: alice })).json.items;
    expect(messages).toEqual([expect.objectContaining({ channelId: channel, owner: 'alice', subject: expect.stringContaining('found in public and suspended') })]);
    expect(messages[0].text).toContain(`POST /v1/keys/${key.id}/resume`);
    expect(JSON.stringify(messages)).not.toContain(key.key);
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.leakAlerts).toEqual([expect.objectContaining({ status: 'sent' })]);

    // Resumed by its owner, it works again.
    expect((await world.api('POST', `/v1/keys/${key.id}/resume`, { key: alice })).status).toBe(200);
    expect((await world.api('GET', '/v1/catalog', { key: key.key })).status).toBe(200);
  });

  it('alerts the admin channel when the owner has no channel, and audits a second report of the suspended key as nothing to do', async () => {
    const operators = (await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'operators', type: 'operator' } })).json.id as string;
    const key = await createKey(world, { owner: 'bob', permissions: ['alerts:read'] });
    const body = report([key.key]);
    expect((await post(body, signed(body))).status).toBe(200);
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.leakAlerts).toEqual([expect.objectContaining({ channelId: operators })]);

    const before = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`);
    expect((await post(body, signed(body))).json[0].label).toBe('true_positive');
    const items = await storedItems(world.deps);
    expect(items.find((item) => item.pk === `KEY#${key.id}`)).toEqual(before);
    expect(items.filter((item) => item.action === 'key.leaked').map((item) => (item.details as { outcome: string }).outcome).sort()).toEqual(['already_suspended', 'suspended']);
  });

  it('under revoke, revokes a key that was only suspended (a suspended key could be resumed)', async () => {
    world.deps.config = { ...world.deps.config, leaks: { ...world.deps.config.leaks, action: 'revoke' } };
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    expect((await world.api('POST', `/v1/keys/${key.id}/suspend`, { key: world.admin })).status).toBe(200);
    const body = report([key.key]);
    await post(body, signed(body));
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.status).toBe('revoked');
  });
});

describe('a report that GitHub did not sign', () => {
  it('is refused with the same 401 whatever it carries, before any database call, and changes nothing', async () => {
    const key = await createKey(world, { owner: 'alice', permissions: ['alerts:read'] });
    const realBody = report([key.key]);
    const fakeBody = report([issueSecret('kg', newKeyId()).keyString]);
    const before = await storedItems(world.deps);
    const genuine = signed(realBody);
    const attempts: [string, Record<string, string>][] = [
      [realBody, { 'content-type': 'application/json' }],
      [fakeBody, { 'content-type': 'application/json' }],
      [realBody, signed(realBody, impostor.privateKey)],
      [fakeBody, signed(fakeBody, impostor.privateKey)],
      [realBody, signed(realBody, github.privateKey, 'a-key-github-never-published')],
      [`${realBody} `, genuine],
      [realBody, { ...genuine, 'github-public-key-signature': 'not base64 at all!' }],
      [realBody, { ...genuine, 'github-public-key-signature': Buffer.alloc(72).toString('base64') }],
      ['', genuine],
    ];
    const calls = countCalls(world.deps.ddb);
    try {
      const answers = [];
      for (const [body, headers] of attempts) {
        const response = await post(body, headers);
        answers.push({ status: response.status, code: response.json?.error?.code, message: response.json?.error?.message });
      }
      expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
      expect(answers[0]).toEqual({ status: 401, code: 'unauthenticated', message: expect.stringContaining('not signed by GitHub') });
      expect(calls.total()).toBe(0);
    } finally {
      calls.remove();
    }
    expect(await storedItems(world.deps)).toEqual(before);
    expect((await world.api('GET', `/v1/keys/${key.id}`, { key: world.admin })).json.status).toBe('active');
  });

  it('is refused with 413 when larger than the limit, before its signature is checked', async () => {
    const body = report(Array.from({ length: 3000 }, () => 'x'.repeat(200)));
    expect((await post(body, signed(body))).status).toBe(413);
  });
});

describe("GitHub's keys", () => {
  it('are fetched once and kept: many reports, one fetch', async () => {
    const fetchesBefore = keyFetches;
    world.deps.config = { ...world.deps.config, leaks: { ...world.deps.config.leaks, githubKeysUrl: `${keysUrl}?cache-test` } };
    for (let i = 0; i < 3; i++) {
      const body = report([issueSecret('kg', newKeyId()).keyString]);
      expect((await post(body, signed(body))).status).toBe(200);
    }
    expect(keyFetches - fetchesBefore).toBe(1);
  });

  it('that cannot be fetched at all make a report wait (503 with Retry-After), not a 401 or a 500', async () => {
    world.deps.config = { ...world.deps.config, leaks: { ...world.deps.config.leaks, githubKeysUrl: 'http://127.0.0.1:9/nothing-listens-here' } };
    const body = report([issueSecret('kg', newKeyId()).keyString]);
    const response = await post(body, signed(body));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('30');
  });
});
