import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { issueSecret } from '../../functions/keys/key-string.js';
import { AUDIT_SHARDS } from '../../functions/audit/audit-store.js';
import { fireNotification } from '../../functions/reminders/notifier.js';
import { withLocalNotifications } from '../support/notifications.js';
import { storedItems } from './api-client.js';
import { basic, type CreatedKey, createKey, postForm, START, type KeygateWorld, keygateWorld } from '../support/world.js';
import { unguarded, withTableAccess } from '../support/table-access-guard.js';
import { functionTableAccess } from '../../functions/contract/table-access.js';

let world: KeygateWorld;

beforeEach(async () => {
  world = await keygateWorld();
});

afterEach(async () => {
  await world.close();
});

const YEAR_SECONDS = 365 * 86_400;

async function auditItems() {
  return (await storedItems(world.deps)).filter((item) => String(item.pk).startsWith('AUDIT#'));
}

async function entriesOf(action: string) {
  return (await auditItems()).filter((item) => item.action === action);
}

async function audit(query = '', key = world.admin) {
  return world.api('GET', `/v1/audit${query}`, { key });
}

const adminId = () => world.admin.split('_')[1];

describe('lifecycle actions are audited in their own transaction', () => {
  it('a create writes one entry: who, what, when, on which key, from where, and never the secret', async () => {
    const response = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'siem-export', owner: 'alice', permissions: ['alerts:read'], expiresIn: 'P30D' },
      headers: { 'user-agent': 'curl/8.5.0' },
    });
    expect(response.status).toBe(201);
    const [entry, ...others] = await entriesOf('key.create');
    // The admin key itself was minted by the bootstrap, outside any request.
    expect(others).toHaveLength(1);
    const created = [entry, ...others].find((e) => e?.keyId === response.json.id);
    expect(created).toMatchObject({
      action: 'key.create',
      outcome: 'success',
      at: START.toISOString(),
      actor: { owner: 'admin', keyId: adminId() },
      keyId: response.json.id,
      reason: null,
      requestId: response.headers.get('apigw-requestid'),
      sourceIp: '127.0.0.1',
      userAgent: 'curl/8.5.0',
      details: { name: 'siem-export', owner: 'alice', permissions: ['alerts:read'], roles: [], expiresAt: response.json.expiresAt },
      gsi3pk: `AUDITKEY#${response.json.id}`,
      gsi4pk: 'AUDITACTOR#admin',
      ttl: START.getTime() / 1000 + YEAR_SECONDS,
    });
    expect(created?.pk).toMatch(new RegExp(`^AUDIT#[0-${AUDIT_SHARDS - 1}]$`));
    expect(created?.gsi5pk).toBe(`AUDITACTION#key.create#${String(created?.pk).slice('AUDIT#'.length)}`);
    const dump = JSON.stringify(await auditItems());
    expect(dump).not.toContain(response.json.key);
    expect(dump).not.toContain(response.json.key.slice(-49, -6));
    const bootstrap = [entry, ...others].find((e) => e?.keyId !== response.json.id);
    expect(bootstrap).toMatchObject({ actor: { owner: 'keygate-bootstrap' }, requestId: null, sourceIp: null });
  });

  it('edits, resets and deletes each write one entry saying what changed', async () => {
    const key = await createKey(world, { owner: 'bob', permissions: ['alerts:read'], expiresIn: 'P30D' });
    world.clock.advance(1000);
    const patched = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { name: 'renamed', description: 'nightly', expiresIn: 'P10D' } });
    expect(patched.status).toBe(200);
    world.clock.advance(1000);
    const reset = await world.api('POST', `/v1/keys/${key.id}/reset`, { key: world.admin, body: { gracePeriod: 'PT1H' } });
    expect(reset.status).toBe(200);
    world.clock.advance(1000);
    expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);

    const [update] = await entriesOf('key.update');
    expect(update?.details).toEqual({
      changes: {
        name: { from: expect.stringMatching(/^key-/), to: 'renamed' },
        description: { from: '', to: 'nightly' },
        expiresAt: { from: expect.any(String), to: patched.json.expiresAt },
      },
    });
    expect(await entriesOf('key.reset')).toEqual([
      expect.objectContaining({ keyId: key.id, at: '2026-11-23T12:00:02.000Z', details: { gracePeriod: 'PT1H', previousSecretValidUntil: '2026-11-23T13:00:02.000Z' } }),
    ]);
    expect(await entriesOf('key.delete')).toEqual([expect.objectContaining({ keyId: key.id, details: { name: 'renamed', owner: 'bob' } })]);
    const dump = JSON.stringify(await auditItems());
    for (const secret of [key.key, reset.json.key]) expect(dump).not.toContain(secret.slice(-49, -6));
  });

  it('a refused change leaves no entry: name clash, forbidden grant, bad input, a deleted key', async () => {
    await createKey(world, { name: 'taken', owner: 'carol', permissions: ['alerts:read'] });
    const other = await createKey(world, { name: 'other', owner: 'carol', permissions: ['keys:read', 'keys:write', 'alerts:read'] });
    await world.api('DELETE', `/v1/keys/${other.id}`, { key: world.admin });
    const before = await auditItems();

    expect((await world.api('POST', '/v1/keys', { key: world.admin, body: { name: 'TAKEN', owner: 'carol', permissions: ['alerts:read'] } })).status).toBe(409);
    const victim = await world.api('GET', '/v1/keys?owner=carol&status=active', { key: world.admin });
    const takenId = victim.json.items[0].id;
    expect((await world.api('PATCH', `/v1/keys/${takenId}`, { key: world.admin, body: { expiresIn: 'P1Y' } })).status).toBe(400);
    expect((await world.api('PATCH', `/v1/keys/${other.id}`, { key: world.admin, body: { description: 'x' } })).status).toBe(409);
    expect((await world.api('POST', `/v1/keys/${other.id}/reset`, { key: world.admin })).status).toBe(409);
    expect((await world.api('DELETE', `/v1/keys/${other.id}`, { key: world.admin })).status).toBe(409);
    const limited = await createKey(world, { name: 'limited', owner: 'dave', permissions: ['keys:write', 'alerts:read'] });
    const afterLimited = await auditItems();
    expect((await world.api('POST', '/v1/keys', { key: limited.key, body: { name: 'x', permissions: ['cases:write'] } })).status).toBe(403);

    expect(afterLimited).toHaveLength(before.length + 1);
    expect(await auditItems()).toEqual(afterLimited);
  });

  it('a write that loses a race to a concurrent edit leaves no entry; the winner leaves one', async () => {
    const key = await createKey(world, { owner: 'erin', permissions: ['alerts:read'] });
    // Between the read and the transaction, another writer bumps the key's version.
    const send = world.deps.ddb.send.bind(world.deps.ddb);
    const spy = vi.spyOn(world.deps.ddb, 'send').mockImplementation((async (command: unknown) => {
      if (command instanceof TransactWriteCommand) {
        spy.mockRestore();
        // Another writer: not the route, so not held to the route's grants.
        await unguarded(() =>
          send(
            new UpdateCommand({
              TableName: world.deps.tableName,
              Key: { pk: `KEY#${key.id}`, sk: 'KEY' },
              UpdateExpression: 'SET version = version + :one',
              ExpressionAttributeValues: { ':one': 1 },
            }),
          ),
        );
      }
      return send(command as never);
    }) as never);
    const before = await auditItems();
    const lost = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { description: 'mine' } });
    expect(lost.status).toBe(409);
    expect(lost.json.error.code).toBe('concurrent_update');
    expect(await auditItems()).toEqual(before);

    // Racing edits for real: every 200 has exactly one entry, every 409 none.
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { description: `edit ${i}` } })),
    );
    const won = results.filter((r) => r.status === 200).length;
    expect(won).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
    expect(await entriesOf('key.update')).toHaveLength(won);
  });
});

describe('failed authentications', () => {
  it('a wrong secret for a real key is one entry per source IP and minute, counting attempts', async () => {
    const key = await createKey(world, { owner: 'frank', permissions: ['keys:read'] });
    const wrong = issueSecret('kg', key.id).keyString;
    for (let i = 0; i < 3; i++) {
      world.clock.advance(5000);
      expect((await world.api('GET', '/v1/keys', { key: wrong, headers: { 'user-agent': `probe/${i}` } })).status).toBe(401);
    }
    const entries = await entriesOf('auth.failed');
    expect(entries).toEqual([
      expect.objectContaining({
        outcome: 'failure',
        reason: 'invalid',
        keyId: key.id,
        actor: null,
        at: '2026-11-23T12:00:00.000Z',
        attempts: 3,
        lastAttemptAt: '2026-11-23T12:00:15.000Z',
        sourceIp: '127.0.0.1',
        userAgent: 'probe/0',
        details: { where: 'ListKeys' },
        gsi3pk: `AUDITKEY#${key.id}`,
      }),
    ]);
    expect(entries[0]?.gsi4pk).toBeUndefined();
    expect(JSON.stringify(entries)).not.toContain(wrong);

    world.clock.advance(60_000);
    await world.api('GET', '/v1/keys', { key: wrong });
    expect(await entriesOf('auth.failed')).toHaveLength(2);
  });

  it('names the reason for a deleted or expired key, and folds unknown key ids into one entry', async () => {
    const key = await createKey(world, { owner: 'gina', permissions: ['keys:read'] });
    await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin });
    expect((await world.api('GET', '/v1/keys', { key: key.key })).status).toBe(401);
    for (let i = 0; i < 4; i++) {
      const made = issueSecret('kg', `${'Z'.repeat(21)}${i}`).keyString;
      expect((await world.api('GET', '/v1/catalog', { key: made })).status).toBe(401);
    }
    const entries = await entriesOf('auth.failed');
    expect(entries).toHaveLength(2);
    expect(entries.find((e) => e.keyId === key.id)).toMatchObject({ reason: 'revoked', attempts: 1 });
    expect(entries.find((e) => e.keyId === null)).toMatchObject({ reason: 'invalid', attempts: 4, details: { where: 'GetCatalog' } });
  });

  it('no credential, a malformed one or a bad checksum is counted, not written', async () => {
    const before = await auditItems();
    const typo = world.admin.slice(0, 30) + (world.admin[30] === 'a' ? 'b' : 'a') + world.admin.slice(31);
    expect((await world.api('GET', '/v1/keys')).status).toBe(401);
    expect((await world.api('GET', '/v1/keys', { key: typo })).status).toBe(401);
    expect((await world.api('GET', '/v1/keys', { headers: { authorization: 'Basic abc' } })).status).toBe(401);
    expect(await auditItems()).toEqual(before);
  });

  it('a failed client authentication at the token endpoint, or bearer authentication at introspection, is audited the same way', async () => {
    const key = await createKey(world, { owner: 'hank', permissions: ['alerts:read'] });
    const wrong = issueSecret('kg', key.id).keyString;
    const refused = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(key.id, wrong) });
    expect(refused.status).toBe(401);
    expect(await entriesOf('auth.failed')).toEqual([expect.objectContaining({ keyId: key.id, reason: 'invalid', details: { where: 'IssueToken' }, attempts: 1 })]);
    await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin });
    const introspection = await postForm(world, '/oauth/introspect', { token: 'x' }, { authorization: `Bearer ${key.key}` });
    expect(introspection.status).toBe(401);
    expect((await entriesOf('auth.failed')).find((e) => (e.details as { where: string }).where === 'IntrospectToken')).toMatchObject({ keyId: key.id, reason: 'revoked' });
  });
});

describe('GET /v1/audit', () => {
  async function history(): Promise<{ keys: CreatedKey[] }> {
    const keys: CreatedKey[] = [];
    for (let i = 0; i < 6; i++) {
      world.clock.advance(60_000);
      keys.push(await createKey(world, { owner: i % 2 === 0 ? 'ivan' : 'judy', permissions: ['alerts:read', 'keys:read', 'keys:write'] }));
    }
    world.clock.advance(60_000);
    await world.api('PATCH', `/v1/keys/${keys[0]?.id}`, { key: world.admin, body: { description: 'edited' } });
    world.clock.advance(60_000);
    // ivan's own key creates one: actor ivan
    await world.api('POST', '/v1/keys', { key: keys[0]?.key, body: { name: 'by-ivan', permissions: ['alerts:read'] } });
    world.clock.advance(60_000);
    await world.api('DELETE', `/v1/keys/${keys[1]?.id}`, { key: world.admin });
    world.clock.advance(60_000);
    await world.api('GET', '/v1/keys', { key: issueSecret('kg', keys[2]?.id ?? '').keyString });
    return { keys };
  }

  const ats = (items: { at: string }[]) => items.map((i) => i.at);

  it('lists everything newest first, page by page over every shard, with no entry twice or missing', async () => {
    await history();
    const all = await auditItems();
    const seen: { id: string; at: string }[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await audit(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.json.items);
      cursor = page.json.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.map((e) => e.id).sort()).toEqual(all.map((e) => e.id).sort());
    expect(ats(seen)).toEqual([...ats(seen)].sort().reverse());
    expect(seen[0]).toMatchObject({ action: 'auth.failed' });
    // The API shows the entry, not the table's attributes.
    expect(Object.keys(seen[0] ?? {})).not.toContain('pk');
    expect(Object.keys(seen[0] ?? {})).not.toContain('ttl');
  });

  it('filters by key, actor, action and time, alone or together', async () => {
    const { keys } = await history();
    const ids = (r: { json: { items: { id: string; action: string; keyId: string | null }[] } }) => r.json.items;

    const byKey = ids(await audit(`?keyId=${keys[0]?.id}`));
    expect(byKey.map((e) => e.action)).toEqual(['key.update', 'key.create']);

    const byIvan = ids(await audit('?actor=ivan'));
    expect(byIvan.map((e) => e.action)).toEqual(['key.create']);
    const byAdmin = ids(await audit('?actor=admin&action=key.delete'));
    expect(byAdmin).toEqual([expect.objectContaining({ keyId: keys[1]?.id })]);

    const creates = ids(await audit('?action=key.create&limit=100'));
    expect(creates).toHaveLength(8); // the bootstrap's admin key, six, and ivan's
    const failed = ids(await audit('?action=auth.failed'));
    expect(failed).toEqual([expect.objectContaining({ keyId: keys[2]?.id, reason: 'invalid' })]);

    const window = ids(await audit(`?from=2026-11-23T12:02:00Z&to=2026-11-23T12:04:00Z`));
    expect(window.map((e) => e.keyId)).toEqual([keys[2]?.id, keys[1]?.id]);
    const keyWindow = ids(await audit(`?keyId=${keys[0]?.id}&to=2026-11-23T12:07:00Z`));
    expect(keyWindow.map((e) => e.action)).toEqual(['key.create']);
    expect(ids(await audit(`?keyId=${keys[0]?.id}&actor=ivan`))).toEqual([]);
  });

  it('pages a filtered listing too, and refuses a cursor replayed with other filters', async () => {
    const { keys } = await history();
    const first = await audit('?action=key.create&limit=2');
    expect(first.json.items).toHaveLength(2);
    expect(first.json.nextCursor).toEqual(expect.any(String));
    const second = await audit(`?action=key.create&limit=2&cursor=${first.json.nextCursor}`);
    expect(String(ats(second.json.items)[0]) < String(ats(first.json.items)[1])).toBe(true);
    const crossed = await audit(`?action=key.delete&cursor=${first.json.nextCursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.json.error.code).toBe('invalid_cursor');
    const page = await audit(`?keyId=${keys[0]?.id}&limit=1`);
    const rest = await audit(`?keyId=${keys[0]?.id}&limit=1&cursor=${page.json.nextCursor}`);
    expect([...page.json.items, ...rest.json.items].map((e: { action: string }) => e.action)).toEqual(['key.update', 'key.create']);
    expect(rest.json.nextCursor).toBeNull();
  });

  it('is for admins only, and validates its filters', async () => {
    const reader = await createKey(world, { owner: 'kim', permissions: ['audit-log:read', 'keys:read'] });
    const refused = await audit('', reader.key);
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toMatch(/admin/);
    const noGrant = await createKey(world, { owner: 'kim', permissions: ['keys:read'] });
    expect((await audit('', noGrant.key)).status).toBe(403);
    for (const bad of ['?action=key.explode', '?keyId=short', '?from=yesterday', '?from=2026-11-24T00:00:00Z&to=2026-11-23T00:00:00Z', '?limit=0', '?limit=101', '?colour=red', '?cursor=garbage']) {
      const response = await audit(bad);
      expect(response.status, bad).toBe(400);
    }
  });
});

describe('channel, notification and operator-message changes are audited in their transactions', () => {
  it('channel create and delete, a notification outcome and an acknowledgment each leave one entry', async () => {
    const { deps } = withLocalNotifications(world.deps);
    // The gateway serves world.deps: give it the notification stand-ins too.
    Object.assign(world.deps, { notifications: deps.notifications });
    const channel = await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'ops-room', type: 'operator' } });
    expect(channel.status).toBe(201);
    const hook = await world.api('POST', '/v1/channels', {
      key: world.admin,
      body: { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/services/T0/B0/secret-path' },
    });
    expect(hook.status).toBe(201);
    expect((await world.api('POST', '/v1/channels', { key: world.admin, body: { name: 'OPS-ROOM', type: 'operator' } })).status).toBe(409);
    expect((await world.api('DELETE', `/v1/channels/${hook.json.id}`, { key: world.admin })).status).toBe(204);

    const created = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'warned', owner: 'lena', permissions: ['alerts:read'], expiresIn: 'P30D', notification: { at: '2026-11-30T12:00:00Z', channelId: channel.json.id } },
    });
    expect(created.status).toBe(201);
    const stored = (await storedItems(world.deps)).find((i) => i.pk === `KEY#${created.json.id}`) as { notification: { rev: string } };
    world.clock.set(new Date('2026-11-30T12:00:00Z'));
    const fired = { keyId: created.json.id, slot: 'own' as const, rev: stored.notification.rev };
    const fire = () => withTableAccess('Notifier', functionTableAccess.notifier, () => fireNotification(world.deps, fired));
    expect(await fire()).toEqual({ result: 'sent' });
    // A repeated firing changes nothing, so it writes no entry.
    expect((await fire()).result).toBe('dropped');

    const messages = await world.api('GET', '/v1/operator-messages', { key: world.admin });
    const messageId = messages.json.items[0].id;
    expect((await world.api('POST', `/v1/operator-messages/${messageId}/acknowledge`, { key: world.admin })).status).toBe(200);
    expect((await world.api('POST', `/v1/operator-messages/${messageId}/acknowledge`, { key: world.admin })).status).toBe(200);

    const channelCreates = await entriesOf('channel.create');
    expect(channelCreates).toHaveLength(2);
    expect(channelCreates.find((e) => (e.details as { type: string }).type === 'webhook')).toMatchObject({
      target: { type: 'channel', id: hook.json.id },
      details: { name: 'hook', type: 'webhook', urlOrigin: 'https://hooks.example.com' },
    });
    expect(JSON.stringify(await auditItems())).not.toContain('secret-path');
    expect(JSON.stringify(await auditItems())).not.toContain(hook.json.signingSecret);
    expect(await entriesOf('channel.delete')).toEqual([expect.objectContaining({ target: { type: 'channel', id: hook.json.id }, actor: { owner: 'admin', keyId: adminId() } })]);
    expect(((await entriesOf('key.create')).find((e) => e.keyId === created.json.id)?.details as { notification: unknown }).notification).toEqual({
      at: '2026-11-30T12:00:00.000Z',
      channelId: channel.json.id,
      before: null,
    });
    expect(await entriesOf('notification.sent')).toEqual([
      expect.objectContaining({ keyId: created.json.id, actor: { owner: 'keygate-notifier' }, details: { slot: 'own', channelId: channel.json.id }, requestId: null }),
    ]);
    expect(await entriesOf('operator-message.acknowledge')).toEqual([expect.objectContaining({ target: { type: 'operator-message', id: messageId } })]);
  });
});
