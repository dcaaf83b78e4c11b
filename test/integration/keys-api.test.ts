import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { countCalls } from '../support/ddb-calls.js';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import type { Deps } from '../../functions/runtime/deps.js';
import { freshDeps, startGateway, testClock } from '../support/dynamodb.js';
import { apiClient, storedItems } from './api-client.js';

const START = new Date('2026-11-23T12:00:00.000Z');
const DAY = 86_400_000;

let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: { url: string; close(): Promise<void> };
let api: ReturnType<typeof apiClient>;
let admin: string;

beforeEach(async () => {
  clock = testClock(START);
  deps = await freshDeps({ clock: clock.now });
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  admin = (await mintAdminKey(deps)).key;
  // Record the admin key's first use now, so "nothing stored changed" assertions see only the request under test.
  expect((await api('GET', '/v1/catalog', { key: admin })).status).toBe(200);
});

afterEach(async () => {
  await gateway.close();
});

const exampleBody = {
  name: 'siem-export',
  description: 'Nightly export to the SIEM',
  owner: 'alice',
  roles: [{ role: 'cloud-account-viewer', scope: ['acct-1', 'acct-2'] }],
  permissions: ['audit-log:read', 'alerts:write'],
  expiresIn: 'P90D',
};

async function create(body: Record<string, unknown>, key = admin) {
  return api('POST', '/v1/keys', { key, body });
}

/** A key of owner `owner` that may manage that owner's keys and hands out `extra`. */
async function ownerKey(owner: string, extra: string[] = []) {
  const response = await create({ name: `manager-${owner}`, owner, permissions: ['keys:read', 'keys:write', ...extra] });
  expect(response.status).toBe(201);
  return response.json.key as string;
}

describe('POST /v1/keys', () => {
  it('creates a key, shows its string once and stores only a hash of the secret', async () => {
    const response = await create(exampleBody);
    expect(response.status).toBe(201);
    const { key, id } = response.json;
    expect(key).toMatch(new RegExp(`^kg_${id}_[0-9A-Za-z]{49}$`));
    expect(response.headers.get('location')).toBe(`/v1/keys/${id}`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.json).toMatchObject({
      name: 'siem-export',
      description: 'Nightly export to the SIEM',
      owner: 'alice',
      roles: [{ role: 'cloud-account-viewer', scope: ['acct-1', 'acct-2'] }],
      permissions: ['alerts:write', 'audit-log:read'],
      status: 'active',
      createdAt: START.toISOString(),
      lastUsedAt: null,
      expiresAt: new Date(START.getTime() + 90 * DAY).toISOString(),
      inactivityExpiresAt: '2027-02-23T12:00:00.000Z',
      effectiveExpiresAt: '2027-02-21T12:00:00.000Z',
      expiryReason: 'expires_at',
      revokedAt: null,
    });
    expect(response.json.createdBy).toMatchObject({ owner: 'admin' });

    const secret = key.slice(-49, -6);
    const items = await storedItems(deps);
    const dump = JSON.stringify(items);
    expect(dump).not.toContain(secret);
    expect(dump).not.toContain(key);
    const stored = items.find((i) => i.pk === `KEY#${id}`);
    expect(stored?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(stored?.ttl).toBe(Date.parse('2027-02-21T12:00:00.000Z') / 1000 + 30 * 86_400);

    const details = await api('GET', `/v1/keys/${id}`, { key: admin });
    expect(details.status).toBe(200);
    expect(details.json.key).toBeUndefined();
    expect(JSON.stringify(details.json)).not.toContain(secret);
    expect(details.json).toMatchObject({ id, name: 'siem-export', status: 'active' });
  });

  it('defaults the owner to the caller, the expiry to the default lifetime and the description to empty', async () => {
    const response = await create({ name: 'defaults', permissions: ['alerts:read'] });
    expect(response.status).toBe(201);
    expect(response.json).toMatchObject({ owner: 'admin', description: '', expiresAt: '2027-05-23T12:00:00.000Z' });
  });

  it('gives a name to one key per owner (case-insensitively) and to every owner once', async () => {
    expect((await create({ ...exampleBody })).status).toBe(201);
    const again = await create({ ...exampleBody, name: 'SIEM-Export' });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'name_taken', requestId: expect.any(String) });
    expect(again.json.error.message).toContain('alice');
    expect((await create({ ...exampleBody, owner: 'bob' })).status).toBe(201);
  });

  it('of 20 parallel creates of one name, exactly one wins and one key is stored', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => create({ name: 'race', owner: 'carol', permissions: ['alerts:read'] })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const keys = (await storedItems(deps)).filter((i) => i.sk === 'KEY' && i.owner === 'carol');
    expect(keys).toHaveLength(1);
  });

  it('frees a name when its key is deleted or has expired', async () => {
    const first = await create({ name: 'reused', owner: 'dave', permissions: ['alerts:read'], expiresIn: 'P1D' });
    expect((await api('DELETE', `/v1/keys/${first.json.id}`, { key: admin })).status).toBe(204);
    const second = await create({ name: 'reused', owner: 'dave', permissions: ['alerts:read'], expiresIn: 'P1D' });
    expect(second.status).toBe(201);
    clock.advance(2 * DAY);
    admin = (await mintAdminKey(deps)).key;
    const third = await create({ name: 'reused', owner: 'dave', permissions: ['alerts:read'] });
    expect(third.status).toBe(201);
    const locks = (await storedItems(deps)).filter((i) => i.sk === 'NAME' && String(i.pk).startsWith('NAME#dave#'));
    expect(locks).toEqual([expect.objectContaining({ keyId: third.json.id })]);
  });

  it.each([
    ['an unknown field', { name: 'x', permissions: ['alerts:read'], colour: 'red' }, 400, /unknown field\(s\) "colour"/],
    ['a missing name', { permissions: ['alerts:read'] }, 400, /name/],
    ['a 65-character name', { name: 'n'.repeat(65), permissions: ['alerts:read'] }, 400, /at most 64/],
    ['a control character in the name', { name: 'a\u0007b', permissions: ['alerts:read'] }, 400, /control characters/],
    ['a 513-character description', { name: 'x', description: 'd'.repeat(513), permissions: ['alerts:read'] }, 400, /at most 512/],
    ['no grants at all', { name: 'x' }, 400, /at least one role or permission/],
    ['an unknown role', { name: 'x', roles: [{ role: 'root' }] }, 400, /role "root"/],
    ['an unknown resource', { name: 'x', permissions: ['nukes:read'] }, 400, /"nukes:read"/],
    ['write on a read-only resource', { name: 'x', permissions: ['audit-log:write'] }, 400, /"audit-log:write"/],
    ['a non-grantable resource', { name: 'x', permissions: ['oauth:read'] }, 400, /"oauth:read"/],
    ['a scoped role with an empty scope', { name: 'x', roles: [{ role: 'cloud-account-viewer', scope: [] }] }, 400, /non-empty/],
    ['an expiry in the past', { name: 'x', permissions: ['alerts:read'], expiresAt: '2020-01-01T00:00:00Z' }, 400, /at least one minute/],
    ['an expiry too soon', { name: 'x', permissions: ['alerts:read'], expiresIn: 'PT30S' }, 400, /at least one minute/],
    ['an expiry beyond the maximum', { name: 'x', permissions: ['alerts:read'], expiresIn: 'P1Y' }, 400, /maximum lifetime/],
    ['a malformed duration', { name: 'x', permissions: ['alerts:read'], expiresIn: '90 days' }, 400, /ISO 8601/],
    ['a malformed date', { name: 'x', permissions: ['alerts:read'], expiresAt: 'tomorrow' }, 400, /ISO 8601 date-time/],
    ['a duration beyond calendar arithmetic', { name: 'x', permissions: ['alerts:read'], expiresIn: 'P999999Y' }, 400, /at most 100 years/],
    ['an owner with a #', { name: 'x', owner: 'a#b', permissions: ['alerts:read'] }, 400, /owner/],
  ])('refuses %s with a clear 4xx and stores nothing', async (_what, body, status, message) => {
    const before = await storedItems(deps);
    const response = await create(body);
    expect(response.status).toBe(status);
    expect(response.json.error.message).toMatch(message);
    expect(response.json.error.requestId).toEqual(expect.any(String));
    expect(await storedItems(deps)).toEqual(before);
  });

  it('refuses malformed JSON, a non-JSON content type and an oversized body', async () => {
    const malformed = await api('POST', '/v1/keys', { key: admin, rawBody: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(malformed.status).toBe(400);
    expect(malformed.json.error.code).toBe('invalid_json');
    const form = await api('POST', '/v1/keys', { key: admin, rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const huge = await create({ name: 'x', permissions: ['alerts:read'], description: 'd'.repeat(20_000) });
    expect(huge.status).toBe(413);
  });
});

describe('authentication', () => {
  it('asks for a credential with 401 and WWW-Authenticate', async () => {
    const response = await api('GET', '/v1/keys');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="keygate"');
    expect(response.json.error.code).toBe('unauthenticated');
  });

  it('refuses a bad-checksum key without touching the database', async () => {
    const typo = admin.slice(0, 30) + (admin[30] === 'a' ? 'b' : 'a') + admin.slice(31);
    const calls = countCalls(deps.ddb);
    onTestFinished(calls.remove);
    const response = await api('GET', '/v1/keys', { key: typo });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(response.json.error.message).toMatch(/malformed|checksum/);
    expect(calls.total()).toBe(0);
  });

  it('refuses a wrong secret for a real id with the same answer as an unknown id', async () => {
    const created = await create({ name: 'victim', permissions: ['keys:read'] });
    // Well-formed strings with valid checksums: the real id with another secret, and an unknown id.
    const wrongSecret = issueSecret('kg', created.json.id).keyString;
    const unknownId = issueSecret('kg', 'A'.repeat(22)).keyString;
    const answers = await Promise.all([wrongSecret, unknownId].map((key) => api('GET', '/v1/keys', { key })));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.json.error.message).toBe('the key is not valid');
    }
    expect((await api('GET', '/v1/keys', { key: created.json.key })).status).toBe(200);
  });

  it('refuses an expired key, and one that expired for inactivity, and says which', async () => {
    const shortLived = await create({ name: 'short', permissions: ['keys:read'], expiresIn: 'P1D' });
    const idle = await create({ name: 'idle', permissions: ['keys:read'] });
    clock.advance(2 * DAY);
    const expired = await api('GET', '/v1/keys', { key: shortLived.json.key });
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toMatch(/expired at/);

    clock.advance(92 * DAY); // past the not-accessed period (P3M) since creation
    const inactive = await api('GET', '/v1/keys', { key: idle.json.key });
    expect(inactive.status).toBe(401);
    expect(inactive.json.error.message).toMatch(/inactivity/);

    admin = (await mintAdminKey(deps)).key;
    const details = await api('GET', `/v1/keys/${idle.json.id}`, { key: admin });
    expect(details.json).toMatchObject({ status: 'expired_inactive', expiryReason: 'inactivity', effectiveExpiresAt: '2027-02-23T12:00:00.000Z' });
    // Correctness never waits for TTL: the items are still there, their status is computed.
    expect((await storedItems(deps)).some((i) => i.pk === `KEY#${shortLived.json.id}`)).toBe(true);
  });

  it('use pushes the inactivity expiry forward, and writes lastUsedAt at most once a minute', async () => {
    const created = await create({ name: 'busy', permissions: ['keys:read'] });
    const calls = countCalls(deps.ddb);
    onTestFinished(calls.remove);
    const responses = await Promise.all(Array.from({ length: 30 }, () => api('GET', '/v1/keys', { key: created.json.key })));
    expect(responses.every((r) => r.status === 200)).toBe(true);
    const stored = async () => (await storedItems(deps)).find((i) => i.pk === `KEY#${created.json.id}`)!;
    expect((await stored()).lastUsedAt).toBe(START.toISOString());
    // Racing readers may all try; the condition lets one write through. Sequential ones skip the call.
    expect(calls.count('UpdateItem')).toBeGreaterThanOrEqual(1);
    calls.reset();
    clock.advance(30_000);
    await api('GET', '/v1/keys', { key: created.json.key });
    expect(calls.count('UpdateItem')).toBe(0);
    expect((await stored()).lastUsedAt).toBe(START.toISOString());
    clock.advance(31_000);
    await api('GET', '/v1/keys', { key: created.json.key });
    const used = await stored();
    expect(used.lastUsedAt).toBe(new Date(START.getTime() + 61_000).toISOString());
    expect(used.inactiveAt).toBe('2027-02-23T12:01:01.000Z');
  });
});

describe('GET /v1/keys', () => {
  it('pages newest first with an opaque cursor, and filters by owner and status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      const response = await create({ name: `k${i}`, owner: 'erin', permissions: ['alerts:read'], expiresIn: i === 0 ? 'P1D' : 'P30D' });
      ids.push(response.json.id);
    }
    await create({ name: 'other', owner: 'frank', permissions: ['alerts:read'] });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/keys?owner=erin&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await api('GET', query, { key: admin });
      expect(page.status).toBe(200);
      expect(page.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.items.map((k: { id: string }) => k.id));
      cursor = page.json.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    expect(pages).toBeGreaterThanOrEqual(3);

    const all = await api('GET', '/v1/keys?limit=100', { key: admin });
    expect(all.json.items.map((k: { owner: string }) => k.owner).sort()).toEqual(['admin', 'erin', 'erin', 'erin', 'erin', 'erin', 'frank']);

    await api('DELETE', `/v1/keys/${ids[1]}`, { key: admin });
    clock.advance(2 * DAY);
    admin = (await mintAdminKey(deps)).key;
    const byStatus = async (status: string) =>
      (await api('GET', `/v1/keys?owner=erin&status=${status}`, { key: admin })).json.items.map((k: { id: string }) => k.id);
    expect(await byStatus('expired')).toEqual([ids[0]]);
    expect(await byStatus('revoked')).toEqual([ids[1]]);
    expect(await byStatus('active')).toEqual([ids[4], ids[3], ids[2]]);
    expect(await byStatus('expired_inactive')).toEqual([]);
  });

  it('refuses a bad cursor, a cursor from another listing, and bad filters', async () => {
    await create({ name: 'a', owner: 'gina', permissions: ['alerts:read'] });
    await create({ name: 'b', owner: 'gina', permissions: ['alerts:read'] });
    const page = await api('GET', '/v1/keys?owner=gina&limit=1', { key: admin });
    expect(page.json.nextCursor).toEqual(expect.any(String));
    const garbage = await api('GET', '/v1/keys?cursor=not-a-cursor', { key: admin });
    expect(garbage.status).toBe(400);
    expect(garbage.json.error.code).toBe('invalid_cursor');
    const crossed = await api('GET', `/v1/keys?owner=hank&cursor=${page.json.nextCursor}`, { key: admin });
    expect(crossed.status).toBe(400);
    // Hand-made cursors for the right listing, but not a key DynamoDB accepts: 400, never a 500.
    const real = JSON.parse(Buffer.from(page.json.nextCursor, 'base64url').toString('utf8'));
    const forged = [
      { ...real, after: undefined },
      { ...real, after: '' },
      { ...real, after: 'CHANNEL#x' },
      { ...real, after: 7 },
      { ...real, extra: 1 },
      { ...real, q: 'another-listing' },
      { ...real, v: 2 },
    ];
    for (const cursor of forged) {
      const encoded = Buffer.from(JSON.stringify(cursor)).toString('base64url');
      const response = await api('GET', `/v1/keys?owner=gina&cursor=${encoded}`, { key: admin });
      expect(response.status).toBe(400);
      expect(response.json.error.code).toBe('invalid_cursor');
    }
    expect((await api('GET', `/v1/keys?owner=gina&cursor=${page.json.nextCursor}`, { key: admin })).json.items).toHaveLength(1);
    expect((await api('GET', '/v1/keys?limit=0', { key: admin })).status).toBe(400);
    expect((await api('GET', '/v1/keys?limit=101', { key: admin })).status).toBe(400);
    expect((await api('GET', '/v1/keys?status=sleeping', { key: admin })).status).toBe(400);
    expect((await api('GET', '/v1/keys?colour=red', { key: admin })).json.error.message).toMatch(/colour/);
  });
});

describe('who may do what', () => {
  it('a key without keys:read cannot list keys (403), but may read the catalog', async () => {
    const reader = await create({ name: 'reader', permissions: ['alerts:read'] });
    const listed = await api('GET', '/v1/keys', { key: reader.json.key });
    expect(listed.status).toBe(403);
    expect(listed.json.error.message).toContain('keys:read');
    expect((await api('GET', '/v1/catalog', { key: reader.json.key })).status).toBe(200);
  });

  it('a non-admin manages only keys of its own owner', async () => {
    const ivan = await ownerKey('ivan', ['alerts:read']);
    const judyKey = await create({ name: 'judy-key', owner: 'judy', permissions: ['alerts:read'] });

    const own = await create({ name: 'ivan-2', permissions: ['alerts:read'] }, ivan);
    expect(own.status).toBe(201);
    expect(own.json.owner).toBe('ivan');
    expect(own.json.createdBy).toMatchObject({ owner: 'ivan' });

    expect((await create({ name: 'x', owner: 'judy', permissions: ['alerts:read'] }, ivan)).status).toBe(403);
    expect((await api('GET', `/v1/keys/${judyKey.json.id}`, { key: ivan })).status).toBe(404);
    expect((await api('DELETE', `/v1/keys/${judyKey.json.id}`, { key: ivan })).status).toBe(404);
    expect((await api('PATCH', `/v1/keys/${judyKey.json.id}`, { key: ivan, body: { description: 'mine now' } })).status).toBe(404);
    expect((await api('POST', `/v1/keys/${judyKey.json.id}/reset`, { key: ivan })).status).toBe(404);
    expect((await api('GET', '/v1/keys?owner=judy', { key: ivan })).status).toBe(403);
    const listed = await api('GET', '/v1/keys', { key: ivan });
    expect(listed.json.items.map((k: { owner: string }) => k.owner)).toEqual(['ivan', 'ivan']);
  });

  it('no principal can create or edit a key to hold a grant it does not hold', async () => {
    const kim = await ownerKey('kim', ['alerts:read']);
    const escalate = await create({ name: 'x', permissions: ['alerts:write'] }, kim);
    expect(escalate.status).toBe(403);
    expect(escalate.json.error.message).toContain('alerts:write');
    expect((await create({ name: 'y', roles: [{ role: 'global-admin' }] }, kim)).status).toBe(403);
    expect((await create({ name: 'z', roles: [{ role: 'cloud-account-viewer', scope: '*' }] }, kim)).status).toBe(403);

    const modest = await create({ name: 'modest', permissions: ['alerts:read'] }, kim);
    const patched = await api('PATCH', `/v1/keys/${modest.json.id}`, { key: kim, body: { permissions: ['alerts:read', 'cases:write'] } });
    expect(patched.status).toBe(403);
    expect((await api('GET', `/v1/keys/${modest.json.id}`, { key: kim })).json.permissions).toEqual(['alerts:read']);
  });

  it('a non-admin cannot reset, edit or delete a key of its owner that holds more than it does', async () => {
    const lee = await ownerKey('lee', ['alerts:read']);
    const strong = await create({ name: 'lee-admin', owner: 'lee', roles: [{ role: 'global-admin' }] });
    const writer = await create({ name: 'lee-writer', owner: 'lee', permissions: ['alerts:write'] });
    const modest = await create({ name: 'lee-modest', owner: 'lee', permissions: ['alerts:read'] });
    expect((await api('GET', '/v1/catalog', { key: lee })).status).toBe(200); // its lastUsedAt, written once
    const before = await storedItems(deps);

    const reset = await api('POST', `/v1/keys/${strong.json.id}/reset`, { key: lee, body: { gracePeriod: 'P7D' } });
    expect(reset.status).toBe(403);
    expect(reset.json.key).toBeUndefined();
    expect(reset.json.error.message).toContain('role global-admin');
    expect((await api('PATCH', `/v1/keys/${strong.json.id}`, { key: lee, body: { permissions: ['alerts:read'] } })).status).toBe(403);
    expect((await api('DELETE', `/v1/keys/${strong.json.id}`, { key: lee })).status).toBe(403);
    const writerReset = await api('POST', `/v1/keys/${writer.json.id}/reset`, { key: lee });
    expect(writerReset.status).toBe(403);
    expect(writerReset.json.error.message).toContain('alerts:write');
    expect(await storedItems(deps)).toEqual(before);
    // The strong key still works with its own secret; reading it stays allowed.
    expect((await api('GET', '/v1/keys', { key: strong.json.key })).status).toBe(200);
    expect((await api('GET', `/v1/keys/${strong.json.id}`, { key: lee })).status).toBe(200);

    // A key it holds everything of, it still manages.
    expect((await api('POST', `/v1/keys/${modest.json.id}/reset`, { key: lee })).status).toBe(200);
    expect((await api('DELETE', `/v1/keys/${modest.json.id}`, { key: lee })).status).toBe(204);
  });
});

describe('PATCH /v1/keys/{id}', () => {
  it('edits name, description and grants, and shortens the expiry', async () => {
    const created = await create(exampleBody);
    clock.advance(5000);
    const response = await api('PATCH', `/v1/keys/${created.json.id}`, {
      key: admin,
      body: { name: 'siem-nightly', description: 'renamed', permissions: ['rules:read'], roles: [], expiresIn: 'P30D' },
    });
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      name: 'siem-nightly',
      description: 'renamed',
      permissions: ['alert-rules:read'],
      roles: [],
      expiresAt: new Date(START.getTime() + 5000 + 30 * DAY).toISOString(),
      updatedAt: new Date(START.getTime() + 5000).toISOString(),
    });
    // The old name is free again, the new one is taken.
    expect((await create(exampleBody)).status).toBe(201);
    expect((await create({ ...exampleBody, name: 'siem-nightly' })).status).toBe(409);
  });

  it('refuses an extension, a taken name and an empty patch, changing nothing', async () => {
    const created = await create({ ...exampleBody, expiresIn: 'P30D' });
    await create({ ...exampleBody, name: 'taken' });
    const before = await storedItems(deps);
    const extend = await api('PATCH', `/v1/keys/${created.json.id}`, { key: admin, body: { expiresIn: 'P60D' } });
    expect(extend.status).toBe(400);
    expect(extend.json.error.message).toMatch(/only be shortened/);
    const rename = await api('PATCH', `/v1/keys/${created.json.id}`, { key: admin, body: { name: 'Taken' } });
    expect(rename.status).toBe(409);
    expect((await api('PATCH', `/v1/keys/${created.json.id}`, { key: admin, body: {} })).status).toBe(400);
    expect((await api('PATCH', `/v1/keys/${created.json.id}`, { key: admin, body: { owner: 'mallory' } })).status).toBe(400);
    expect((await api('PATCH', '/v1/keys/not-an-id', { key: admin, body: { description: 'x' } })).status).toBe(400);
    expect((await api('PATCH', `/v1/keys/${'A'.repeat(22)}`, { key: admin, body: { description: 'x' } })).status).toBe(404);
    expect(await storedItems(deps)).toEqual(before);
  });
});

describe('POST /v1/keys/{id}/reset', () => {
  it('issues a new secret for the same id; the old one stops working at once', async () => {
    const created = await create({ name: 'rotating', permissions: ['keys:read'] });
    const reset = await api('POST', `/v1/keys/${created.json.id}/reset`, { key: admin });
    expect(reset.status).toBe(200);
    expect(reset.json.id).toBe(created.json.id);
    expect(reset.json.key).not.toBe(created.json.key);
    expect(reset.json.secretResetAt).toBe(START.toISOString());
    expect((await api('GET', '/v1/keys', { key: created.json.key })).status).toBe(401);
    expect((await api('GET', '/v1/keys', { key: reset.json.key })).status).toBe(200);
  });

  it('keeps the old secret working through a grace period, at most P7D', async () => {
    const created = await create({ name: 'graceful', permissions: ['keys:read'] });
    const tooLong = await api('POST', `/v1/keys/${created.json.id}/reset`, { key: admin, body: { gracePeriod: 'P8D' } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error.message).toMatch(/at most P7D/);
    expect((await api('POST', `/v1/keys/${created.json.id}/reset`, { key: admin, body: { gracePeriod: 'P999999Y' } })).status).toBe(400);
    const reset = await api('POST', `/v1/keys/${created.json.id}/reset`, { key: admin, body: { gracePeriod: 'PT1H' } });
    expect(reset.status).toBe(200);
    expect(reset.json.previousSecretValidUntil).toBe('2026-11-23T13:00:00.000Z');
    expect((await api('GET', '/v1/keys', { key: created.json.key })).status).toBe(200);
    expect((await api('GET', '/v1/keys', { key: reset.json.key })).status).toBe(200);
    clock.advance(3_600_000);
    expect((await api('GET', '/v1/keys', { key: created.json.key })).status).toBe(401);
    expect((await api('GET', '/v1/keys', { key: reset.json.key })).status).toBe(200);
    const stored = (await storedItems(deps)).find((i) => i.pk === `KEY#${created.json.id}`)!;
    expect(JSON.stringify(stored)).not.toContain(reset.json.key.slice(-49, -6));
  });
});

describe('DELETE /v1/keys/{id}', () => {
  it('revokes the key for good: it never works again and stays listed as revoked', async () => {
    const created = await create({ name: 'doomed', permissions: ['keys:read'] });
    expect((await api('GET', '/v1/keys', { key: created.json.key })).status).toBe(200);
    const deleted = await api('DELETE', `/v1/keys/${created.json.id}`, { key: admin });
    expect(deleted.status).toBe(204);
    const refused = await api('GET', '/v1/keys', { key: created.json.key });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toMatch(/deleted/);
    const details = await api('GET', `/v1/keys/${created.json.id}`, { key: admin });
    expect(details.json).toMatchObject({ status: 'revoked', revokedAt: START.toISOString(), revokedBy: { owner: 'admin' } });
    expect((await api('DELETE', `/v1/keys/${created.json.id}`, { key: admin })).status).toBe(409);
    expect((await api('POST', `/v1/keys/${created.json.id}/reset`, { key: admin })).status).toBe(409);
    expect((await api('PATCH', `/v1/keys/${created.json.id}`, { key: admin, body: { description: 'x' } })).status).toBe(409);
    const stored = (await storedItems(deps)).find((i) => i.pk === `KEY#${created.json.id}`)!;
    expect(stored.ttl).toBe(START.getTime() / 1000 + 30 * 86_400);
  });

  it('answers 404 for a key that does not exist', async () => {
    const response = await api('DELETE', `/v1/keys/${'B'.repeat(22)}`, { key: admin });
    expect(response.status).toBe(404);
    expect(response.json.error.code).toBe('not_found');
  });
});

describe('GET /v1/catalog', () => {
  it('lists resources with their access and aliases, and roles', async () => {
    const response = await api('GET', '/v1/catalog', { key: admin });
    expect(response.status).toBe(200);
    const resources = Object.fromEntries(response.json.resources.map((r: { name: string }) => [r.name, r]));
    expect(resources['alert-rules']).toMatchObject({ aliases: ['rules'], permissions: ['alert-rules:read', 'alert-rules:write'] });
    expect(resources['audit-log']).toMatchObject({ access: ['read'], permissions: ['audit-log:read'] });
    expect(resources.oauth).toMatchObject({ grantable: false, permissions: [] });
    const roles = Object.fromEntries(response.json.roles.map((r: { name: string }) => [r.name, r]));
    expect(roles['cloud-account-viewer']).toMatchObject({ scoped: true });
    expect(roles['global-admin']).toMatchObject({ admin: true });
  });
});
