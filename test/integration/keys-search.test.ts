import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { authorizeHttpApi, checkSettings } from '../../functions/authorizer/authorizer.js';
import { keygateCaller } from '../../functions/authorizer/authorizer-context.js';
import { KEY_SHARDS } from '../../functions/keys/key-listing.js';
import { storedItems } from './api-client.js';
import { type KeygateWorld, keygateWorld } from '../support/world.js';

/**
 * Tags, metadata and search on GET /v1/keys (#14), and what the key indexes cost (#12), through the
 * local gateway against DynamoDB Local.
 */
let world: KeygateWorld;
const DAY = 86_400_000;

beforeEach(async () => {
  world = await keygateWorld();
});

afterEach(async () => {
  await world.close();
});

const api = (method: string, path: string, body?: unknown) => world.api(method, path, { key: world.admin, ...(body === undefined ? {} : { body }) });

async function create(body: Record<string, unknown>) {
  const response = await api('POST', '/v1/keys', { permissions: ['alerts:read'], ...body });
  expect(response.status, JSON.stringify(response.json)).toBe(201);
  return response.json as { id: string; key: string; name: string; tags: string[]; meta: unknown };
}

/** Every page of a listing, following nextCursor; each page no longer than `limit`. */
async function allPages(query: string, limit: number): Promise<{ id: string; name: string }[]> {
  const items: { id: string; name: string }[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const response = await api('GET', `/v1/keys?limit=${limit}&${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
    expect(response.status, JSON.stringify(response.json)).toBe(200);
    expect(response.json.items.length).toBeLessThanOrEqual(limit);
    items.push(...response.json.items);
    cursor = response.json.nextCursor;
    if (cursor === null) return items;
  }
  throw new Error('the listing never ended');
}

/** Asks DynamoDB for the consumed capacity, per index, of every write the client sends. */
function capacityOfWrites(client: DynamoDBDocumentClient) {
  const seen: { operation: string; capacity: unknown }[] = [];
  const name = `capacity${Math.random()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const writes = ['PutItem', 'UpdateItem', 'TransactWriteItems', 'DeleteItem'].includes(operation);
      if (writes) (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      const result = await next(args);
      if (writes) seen.push({ operation, capacity: (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity });
      return result;
    },
    { step: 'initialize', name },
  );
  onTestFinished(() => {
    client.middlewareStack.remove(name);
  });
  return seen;
}

describe('what a key costs to write (#12)', () => {
  it('a use record writes the key item only: no index is touched, 1 write unit', async () => {
    const key = await create({ name: 'busy-integration', owner: 'siem', tags: ['team:payments'], meta: { plan: 'gold' } });
    world.clock.advance(120_000);
    const seen = capacityOfWrites(world.deps.ddb);
    expect((await world.api('GET', '/v1/catalog', { key: key.key })).status).toBe(200);
    const uses = seen.filter((w) => w.operation === 'UpdateItem');
    expect(uses).toHaveLength(1);
    expect(uses[0]?.capacity).toEqual({ TableName: world.deps.tableName, CapacityUnits: 1, Table: { CapacityUnits: 1 } });
    // The key was used: lastUsedAt moved, and the listing (index + whole items) shows it.
    const listed = await api('GET', '/v1/keys?owner=siem');
    expect(listed.json.items[0].lastUsedAt).toBe(world.clock().toISOString());
  });

  it('a create writes the item and one entry in each key index; an edit of an unindexed field touches no index', async () => {
    const seen = capacityOfWrites(world.deps.ddb);
    const key = await create({ name: 'measured', owner: 'siem' });
    type Capacity = { GlobalSecondaryIndexes?: Record<string, unknown>; TableName: string };
    const put = seen.find((w) => w.operation === 'TransactWriteItems')?.capacity as Capacity[];
    const indexes = Object.keys(put.find((c) => c.GlobalSecondaryIndexes?.keysAll !== undefined)?.GlobalSecondaryIndexes ?? {}).sort();
    expect(indexes).toEqual(expect.arrayContaining(['keysAll', 'keysByName', 'keysByOwner']));
    expect(indexes.filter((i) => ['byOwner', 'all'].includes(i))).toEqual([]);
    seen.length = 0;
    expect((await api('PATCH', `/v1/keys/${key.id}`, { description: 'only the description' })).status).toBe(200);
    const edit = seen.find((w) => w.operation === 'TransactWriteItems')?.capacity as { GlobalSecondaryIndexes?: Record<string, unknown> }[];
    const keyIndexes = edit.flatMap((c) => Object.keys(c.GlobalSecondaryIndexes ?? {})).filter((i) => i.startsWith('keys'));
    expect(keyIndexes).toEqual([]);
  });
});

describe('tags and metadata (#14)', () => {
  it('are set on create, shown in details, replaced or cleared by an edit, and audited', async () => {
    const key = await create({ name: 'billing', tags: ['team:payments', 'env:prod', 'env:prod'], meta: { customer: 'c-42', limits: { rps: 10 } } });
    expect(key.tags).toEqual(['env:prod', 'team:payments']);
    expect(key.meta).toEqual({ customer: 'c-42', limits: { rps: 10 } });
    const stored = (await storedItems(world.deps)).find((i) => i.pk === `KEY#${key.id}`);
    expect(stored).toMatchObject({ tags: ['env:prod', 'team:payments'], meta: { customer: 'c-42', limits: { rps: 10 } }, nameLower: 'billing' });

    const edited = await api('PATCH', `/v1/keys/${key.id}`, { tags: ['env:staging'], meta: null });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ tags: ['env:staging'], meta: null });
    const after = (await storedItems(world.deps)).find((i) => i.pk === `KEY#${key.id}`);
    expect(after?.meta).toBeUndefined();
    const cleared = await api('PATCH', `/v1/keys/${key.id}`, { tags: [] });
    expect(cleared.json.tags).toEqual([]);

    const audit = await api('GET', `/v1/audit?keyId=${key.id}`);
    type Entry = { action: string; details: { changes: Record<string, unknown> } };
    const update = audit.json.items.find((e: Entry) => e.action === 'key.update' && e.details.changes.meta);
    expect(update.details.changes).toMatchObject({
      tags: { from: ['env:prod', 'team:payments'], to: ['env:staging'] },
      meta: { from: { customer: 'c-42', limits: { rps: 10 } }, to: null },
    });
    const created = audit.json.items.find((e: { action: string }) => e.action === 'key.create');
    expect(created.details).toMatchObject({ tags: ['env:prod', 'team:payments'] });
  });

  it.each([
    ['an upper-case tag', { tags: ['Team:payments'] }, /tag/],
    ['a tag with a space', { tags: ['team: payments'] }, /tag/],
    ['eleven tags', { tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, /at most 10 tags/],
    ['meta over 1 KB', { meta: { blob: 'x'.repeat(1100) } }, /at most 1024 bytes/],
    ['meta nested five deep', { meta: { a: { b: { c: { d: { e: 1 } } } } } }, /4 deep/],
    ['meta that is not an object', { meta: ['a'] }, /meta/],
    ['a meta key of 65 characters', { meta: { ['k'.repeat(65)]: 1 } }, /1 to 64 characters/],
  ])('refuses %s with a 400 that says why, and stores nothing', async (_, body, message) => {
    const response = await api('POST', '/v1/keys', { name: 'refused', permissions: ['alerts:read'], ...body });
    expect(response.status).toBe(400);
    expect(JSON.stringify(response.json.error.message)).toMatch(message);
    expect((await storedItems(world.deps)).filter((i) => i.name === 'refused')).toEqual([]);
  });

  it('verify returns the metadata of a valid key, and nothing of a wrong one', async () => {
    const service = await create({ name: 'verifier', owner: 'billing-service', permissions: ['key-verification:read'] });
    const key = await create({ name: 'with-meta', owner: 'siem', meta: { plan: 'gold', seats: 5 } });
    const valid = await world.api('POST', '/v1/keys/verify', { key: service.key, body: { key: key.key } });
    expect(valid.json).toMatchObject({ valid: true, keyId: key.id, meta: { plan: 'gold', seats: 5 } });
    const plain = await create({ name: 'no-meta', owner: 'siem' });
    expect((await world.api('POST', '/v1/keys/verify', { key: service.key, body: { key: plain.key } })).json.meta).toBeNull();
    const wrong = `${key.key.slice(0, -8)}AAAAAAAA`;
    expect((await world.api('POST', '/v1/keys/verify', { key: service.key, body: { key: wrong } })).json.meta).toBeNull();
  });

  it('the authorizer hands the metadata to the protected API (HTTP API: an object; REST: a JSON string)', async () => {
    const key = await create({ name: 'protected-caller', owner: 'siem', meta: { tenant: 't-7' } });
    const settings = checkSettings(world.deps.config.catalog, {
      routes: { 'GET /alerts': { permission: 'alerts:read' } },
      credentialHeaders: ['authorization'],
    });
    const event = {
      version: '2.0',
      type: 'REQUEST',
      routeArn: 'arn:aws:execute-api:eu-west-1:123456789012:api/$default/GET/alerts',
      identitySource: [`Bearer ${key.key}`],
      routeKey: 'GET /alerts',
      rawPath: '/alerts',
      rawQueryString: '',
      cookies: [],
      headers: { authorization: `Bearer ${key.key}` },
      requestContext: { requestId: 'test' },
    } as unknown as APIGatewayRequestAuthorizerEventV2;
    const result = await authorizeHttpApi(world.deps, settings, event);
    expect(result.isAuthorized).toBe(true);
    expect(result.context?.meta).toEqual({ tenant: 't-7' });
    expect(keygateCaller({ requestContext: { authorizer: { lambda: result.context } } }).meta).toEqual({ tenant: 't-7' });
    // The REST form: flat values only, the metadata as JSON, read back by keygateCaller.
    const { flatCallerContext } = await import('../../functions/authorizer/authorizer-context.js');
    const flat = flatCallerContext(keygateCaller({ requestContext: { authorizer: { lambda: result.context } } }));
    expect(flat.meta).toBe('{"tenant":"t-7"}');
    expect(keygateCaller({ requestContext: { authorizer: flat } }).meta).toEqual({ tenant: 't-7' });
  });
});

describe('GET /v1/keys search and filters (#14)', () => {
  it('lists every key once, newest first, across the shards of the all-keys index, page by page', async () => {
    const made: string[] = [];
    for (let i = 0; i < 14; i++) {
      world.clock.advance(1000);
      made.push((await create({ name: `k${i}`, owner: i % 2 === 0 ? 'erin' : 'frank' })).id);
    }
    const stored = (await storedItems(world.deps)).filter((i) => typeof i.gsi7pk === 'string');
    // The keys are spread over more than one shard (with 15 keys, all in one would be a 1 in 8^14 chance).
    expect(new Set(stored.map((i) => i.gsi7pk)).size).toBeGreaterThan(1);
    expect(stored.every((i) => /^KEYS#[0-9]+$/.test(String(i.gsi7pk)) && Number(String(i.gsi7pk).slice(5)) < KEY_SHARDS)).toBe(true);
    for (const limit of [1, 4, 100]) {
      const listed = (await allPages('', limit)).map((k) => k.id);
      expect(listed.slice(0, 14)).toEqual([...made].reverse());
      expect(listed).toHaveLength(15); // and the admin key, oldest
    }
  });

  it('finds keys by name prefix, ignoring case: over all owners in name order, for one owner newest first', async () => {
    for (const [name, owner] of [['Payments-API', 'erin'], ['payroll', 'frank'], ['PAYOUTS', 'erin'], ['pager', 'erin'], ['billing', 'erin']]) {
      world.clock.advance(1000);
      await create({ name, owner });
    }
    expect((await allPages('namePrefix=PAY', 2)).map((k) => k.name)).toEqual(['Payments-API', 'PAYOUTS', 'payroll']);
    expect((await allPages('namePrefix=pay&owner=erin', 1)).map((k) => k.name)).toEqual(['PAYOUTS', 'Payments-API']);
    expect((await allPages('namePrefix=payments-api', 10)).map((k) => k.name)).toEqual(['Payments-API']);
    expect(await allPages('namePrefix=zzz', 10)).toEqual([]);
    // Served by the by-name index: a query per shard with a key condition, never a scan.
    const stored = (await storedItems(world.deps)).find((i) => i.name === 'Payments-API');
    expect(stored).toMatchObject({ nameLower: 'payments-api', gsi8sk: expect.stringMatching(/^payments-api#/) });
  });

  it('filters by tag, status, expiring before and unused since, with and without an owner', async () => {
    const soon = await create({ name: 'soon', owner: 'erin', tags: ['env:prod'], expiresIn: 'P10D' });
    const later = await create({ name: 'later', owner: 'erin', tags: ['env:prod', 'team:payments'], expiresIn: 'P100D' });
    const other = await create({ name: 'other', owner: 'frank', tags: ['team:payments'], expiresIn: 'P100D' });
    const short = await create({ name: 'short', owner: 'frank', expiresIn: 'P5D' });
    const ids = (items: { id: string }[]) => items.map((k) => k.id).sort();

    expect(ids(await allPages('tag=env:prod', 1))).toEqual(ids([soon, later]));
    expect(ids(await allPages('tag=team:payments', 1))).toEqual(ids([later, other]));
    expect(ids(await allPages('tag=team:payments&owner=frank', 1))).toEqual([other.id]);
    const before = new Date(world.clock().getTime() + 20 * DAY).toISOString();
    expect(ids(await allPages(`expiringBefore=${before}&owner=erin`, 1))).toEqual([soon.id]);
    expect(ids(await allPages(`expiringBefore=${before}`, 3))).toEqual(ids([soon, short]));

    // Use two keys later; the others stay unused since then.
    world.clock.advance(DAY);
    const since = world.clock().toISOString();
    world.clock.advance(60_000);
    for (const k of [later, other]) expect((await world.api('GET', '/v1/catalog', { key: k.key })).status).toBe(200);
    const unused = ids(await allPages(`unusedSince=${since}`, 2));
    expect(unused).toEqual(expect.arrayContaining([soon.id, short.id]));
    expect(unused).not.toContain(later.id);
    expect(unused).not.toContain(other.id);

    await api('DELETE', `/v1/keys/${soon.id}`);
    expect(ids(await allPages('status=revoked', 1))).toEqual([soon.id]);
    expect(ids(await allPages('status=active&tag=env:prod', 1))).toEqual([later.id]);
    world.clock.advance(11 * DAY);
    expect(ids(await allPages('status=expired', 1))).toEqual([short.id]);
    expect(ids(await allPages('status=expired&owner=erin', 1))).toEqual([]);
  });

  it('refuses bad filters with a 400, and a cursor made for other filters', async () => {
    const bad = ['tag=Env:Prod', 'expiringBefore=tomorrow', 'unusedSince=2026-13-01T00:00:00Z', 'namePrefix=', `namePrefix=${'x'.repeat(65)}`];
    for (const query of bad) {
      const response = await api('GET', `/v1/keys?${query}`);
      expect(response.status, query).toBe(400);
    }
    await create({ name: 'a1', owner: 'gina' });
    await create({ name: 'a2', owner: 'gina' });
    const page = await api('GET', '/v1/keys?namePrefix=a&limit=1');
    expect(page.json.nextCursor).toEqual(expect.any(String));
    const crossed = await api('GET', `/v1/keys?namePrefix=b&limit=1&cursor=${page.json.nextCursor}`);
    expect(crossed.status).toBe(400);
    expect(crossed.json.error.code).toBe('invalid_cursor');
  });
});

describe('GET /v1/policy (#14)', () => {
  it('shows any authenticated caller the lifetimes, inactivity expiry, presets and limits the deployment holds keys to', async () => {
    const reader = await create({ name: 'reader', owner: 'siem' });
    const response = await world.api('GET', '/v1/policy', { key: reader.key });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({
      maxLifetime: 'P6M',
      defaultLifetime: 'P6M',
      minLifetime: 'PT1M',
      notAccessedPeriod: 'P3M',
      requireExpiry: true,
      expiryPresets: ['P30D', 'P60D', 'P90D', 'P180D'],
      retention: world.deps.config.policy.retention,
      maxResetGracePeriod: 'P7D',
      maxRotationOverlap: 'P7D',
      metadata: { metaMaxBytes: 1024, metaMaxDepth: 4, maxTags: 10 },
    });
    // The bound it states is the one a create enforces.
    const beyond = await api('POST', '/v1/keys', { name: 'too-long', permissions: ['alerts:read'], expiresIn: 'P7M' });
    expect(beyond.status).toBe(400);
    expect((await world.api('GET', '/v1/policy')).status).toBe(401);
  });
});

describe('bounded pages (#14)', () => {
  it('a selective filter over many keys gives short pages with a cursor, and following it finds every match once', async () => {
    const { BatchWriteCommand } = await import('@aws-sdk/lib-dynamodb');
    const { keyIndexAttributes } = await import('../../functions/keys/key-listing.js');
    const tagged = await create({ name: 'the-one', owner: 'erin', tags: ['team:needle'] });
    const template = (await storedItems(world.deps)).find((i) => i.pk === `KEY#${tagged.id}`) as Record<string, unknown>;
    // 1,100 newer keys without the tag, written straight to the table as keygate writes them.
    const items = Array.from({ length: 1100 }, (_, n) => {
      const id = `bulk${String(n).padStart(18, '0')}`;
      const createdAt = new Date(world.clock().getTime() + 1000 + n).toISOString();
      const { tags: _tags, ...rest } = template;
      const name = `bulk-${n}`;
      return { ...rest, id, name, createdAt, pk: `KEY#${id}`, ...keyIndexAttributes({ id, owner: 'erin', name, createdAt }) };
    });
    for (let i = 0; i < items.length; i += 25) {
      await world.deps.ddb.send(
        new BatchWriteCommand({ RequestItems: { [world.deps.tableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }),
      );
    }
    for (const query of ['tag=team:needle', 'tag=team:needle&owner=erin']) {
      const first = await api('GET', `/v1/keys?limit=10&${query}`);
      expect(first.status).toBe(200);
      // The page stopped at its bound before reaching the one match: empty, but with a cursor.
      expect(first.json.items).toEqual([]);
      expect(first.json.nextCursor).toEqual(expect.any(String));
      expect((await allPages(query, 10)).map((k) => k.id)).toEqual([tagged.id]);
    }
  }, 120_000);
});
