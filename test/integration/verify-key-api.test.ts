import type { BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mintAdminKey } from '../../functions/bootstrap/admin-key.js';
import { issueSecret } from '../../functions/keys/key-string.js';
import { countCalls, rewriteOutputs } from '../support/ddb-calls.js';
import { storedItems } from './api-client.js';
import { type CreatedKey, createKey, type KeygateWorld, keygateWorld, START, tokenFor } from '../support/world.js';

/** POST /v1/keys/verify through the local gateway, against DynamoDB Local. */
let world: KeygateWorld;
let service: CreatedKey;
let presented: CreatedKey;
/** Middleware this test put on the DynamoDB client (which the tests of a worker share). */
let removeMiddleware: (() => void)[] = [];

const DAY = 86_400_000;

beforeEach(async () => {
  world = await keygateWorld();
  service = await createKey(world, { owner: 'billing-service', permissions: ['key-verification:read'] });
  presented = await createKey(world, {
    owner: 'siem',
    permissions: ['alerts:read'],
    roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    expiresIn: 'P30D',
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const remove of removeMiddleware) remove();
  removeMiddleware = [];
  await world.close();
});

const verify = (body: unknown, caller = service.key) => world.api('POST', '/v1/keys/verify', { key: caller, body });

const unknown = { keyId: null, owner: null, permissions: null, expiresAt: null, meta: null };

function countedCalls() {
  const calls = countCalls(world.deps.ddb);
  removeMiddleware.push(calls.remove);
  return calls;
}

const storedKey = async (id: string) => (await storedItems(world.deps)).find((item) => item.pk === `KEY#${id}`);

const failedAuthentications = async () => (await world.api('GET', '/v1/audit?action=auth.failed', { key: world.admin })).json.items as Record<string, unknown>[];

describe('POST /v1/keys/verify', () => {
  it('says a working key is valid, with its id, owner, effective permissions and expiry', async () => {
    const response = await verify({ key: presented.key });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.json).toEqual({
      valid: true,
      code: 'valid',
      keyId: presented.id,
      owner: 'siem',
      permissions: { 'alerts:read': '*', 'cloud-accounts:read': ['acct-1'] },
      expiresAt: new Date(START.getTime() + 30 * DAY).toISOString(),
      meta: null,
    });
  });

  it('checks a required permission, on an instance when one is named', async () => {
    expect((await verify({ key: presented.key, permission: 'alerts:read' })).json).toMatchObject({ valid: true, code: 'valid' });
    expect((await verify({ key: presented.key, permission: 'cloud-accounts:read', instance: 'acct-1' })).json).toMatchObject({ valid: true });
    const lacking = await verify({ key: presented.key, permission: 'cloud-accounts:read', instance: 'acct-2' });
    expect(lacking.status).toBe(200);
    // The holder of the right key may learn what it does hold.
    expect(lacking.json).toMatchObject({ valid: false, code: 'insufficient_permissions', keyId: presented.id, owner: 'siem' });
    expect((await verify({ key: presented.key, permission: 'alerts:write' })).json).toMatchObject({ valid: false, code: 'insufficient_permissions' });
    expect((await verify({ key: presented.key, permission: 'cloud-accounts:read' })).json).toMatchObject({ valid: false, code: 'insufficient_permissions' });
  });

  it('audits a refused key that names a real key, with the verifying service as its origin', async () => {
    const guessed = issueSecret('kg', presented.id).keyString;
    expect((await verify({ key: guessed })).json).toMatchObject({ valid: false, code: 'invalid' });
    const audit = await world.api('GET', '/v1/audit?action=auth.failed', { key: world.admin });
    expect(audit.json.items).toEqual([expect.objectContaining({ keyId: presented.id, reason: 'invalid', details: { where: 'VerifyKey' }, sourceIp: '127.0.0.1' })]);
    expect(JSON.stringify(audit.json)).not.toContain(guessed);
  });

  it('answers every key that does not work with a 200, valid: false, the reason and nothing about the key', async () => {
    const forged = issueSecret('kg', presented.id).keyString;
    const typo = `${presented.key.slice(0, -1)}${presented.key.endsWith('A') ? 'B' : 'A'}`;
    const token = await tokenFor(world, presented);
    const calls = countedCalls();
    expect((await verify({ key: typo })).json).toEqual({ valid: false, code: 'malformed', ...unknown });
    expect((await verify({ key: token })).json).toEqual({ valid: false, code: 'malformed', ...unknown });
    // Malformed strings cost no read: only the calling service's own key was looked up.
    expect(calls.count('GetItem')).toBe(2);
    expect((await verify({ key: forged })).json).toEqual({ valid: false, code: 'invalid', ...unknown });
  });

  it('says why a key stopped working: deleted, reset, expired, or expired for inactivity', async () => {
    const idle = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'P6M' });
    const reset = await world.api('POST', `/v1/keys/${presented.id}/reset`, { key: world.admin, body: {} });
    expect((await verify({ key: presented.key })).json).toMatchObject({ valid: false, code: 'invalid' });
    expect((await verify({ key: reset.json.key })).json).toMatchObject({ valid: true });
    expect((await world.api('DELETE', `/v1/keys/${presented.id}`, { key: world.admin })).status).toBe(204);
    expect((await verify({ key: reset.json.key })).json).toEqual({ valid: false, code: 'revoked', ...unknown });

    const later = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'P1D' });
    world.clock.advance(2 * DAY);
    expect((await verify({ key: later.key })).json).toMatchObject({ valid: false, code: 'expired' });
    // Every key made at the start is idle by now; a freshly minted admin key does the asking.
    world.clock.advance(91 * DAY);
    const admin = (await mintAdminKey(world.deps)).key;
    expect((await verify({ key: idle.key }, admin)).json).toMatchObject({ valid: false, code: 'expired_inactive' });
  });

  it('counts a successful verification as a use of the key', async () => {
    await verify({ key: presented.key });
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${presented.id}`);
    expect(stored?.lastUsedAt).toBe(START.toISOString());
  });

  it('is a 4xx only for a bad request or a caller that may not verify', async () => {
    expect((await verify({})).status).toBe(400);
    expect((await verify({ key: presented.key, permission: 'alerts:reed' })).status).toBe(400);
    expect((await verify({ key: presented.key, permission: 'nukes:read' })).json.error.message).toMatch(/no resource "nukes"/);
    expect((await verify({ key: presented.key, instance: 'acct-1' })).status).toBe(400);
    expect((await verify({ key: presented.key, colour: 'red' })).status).toBe(400);
    expect((await world.api('POST', '/v1/keys/verify', { body: { key: presented.key } })).status).toBe(401);
    expect((await verify({ key: presented.key }, presented.key)).status).toBe(403);
    // The admin role holds key-verification:read.
    expect((await verify({ key: presented.key }, world.admin)).json).toMatchObject({ valid: true });
  });
});

describe('POST /v1/keys/verify reads both keys in one request', () => {
  it.each([
    ['a key string', 'a key string', 'key', 'key'],
    ['a key string', 'a JWT-format key', 'key', 'jwt'],
    ['a JWT-format key', 'a key string', 'jwt', 'key'],
    ['a JWT-format key', 'a JWT-format key', 'jwt', 'jwt'],
  ])('reads %s of the service and %s it asks about with one BatchGetItem and no GetItem', async (_caller, _asked, callerFormat, askedFormat) => {
    const caller = await createKey(world, { owner: 'billing-service', format: callerFormat, permissions: ['key-verification:read'], expiresIn: 'P30D' });
    const asked = await createKey(world, { owner: 'siem', format: askedFormat, permissions: ['alerts:read'], expiresIn: 'P30D' });
    const calls = countedCalls();
    expect((await verify({ key: asked.key, permission: 'alerts:read' }, caller.key)).json).toMatchObject({ valid: true, keyId: asked.id });
    expect(calls.count('BatchGetItem')).toBe(1);
    expect(calls.count('GetItem')).toBe(0);
    // Both keys' first use, recorded as before.
    expect((await storedKey(caller.id))?.lastUsedAt).toBe(START.toISOString());
    expect((await storedKey(asked.id))?.lastUsedAt).toBe(START.toISOString());
  });

  it('lets a service that may not verify, or whose key does not work, cause nothing about the key it asks about', async () => {
    const asked = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    const forged = issueSecret('kg', asked.id).keyString;
    const wrongSecret = issueSecret('kg', service.id).keyString;
    const answers = [
      await verify({ key: asked.key }, presented.key),
      await verify({ key: forged }, presented.key),
      await verify({ key: asked.key }, wrongSecret),
      await verify({ key: forged }, wrongSecret),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 401, 401]);
    for (const answer of answers) expect(JSON.stringify(answer.json)).not.toContain(asked.id);
    expect((await storedKey(asked.id))?.lastUsedAt).toBeUndefined();
    // The refused service is audited, as at every route; nothing is about the key it asked about.
    const audited = await failedAuthentications();
    expect(audited).toEqual([expect.objectContaining({ keyId: service.id, reason: 'invalid', details: { where: 'VerifyKey' } })]);

    // Asked by a service that may verify, the same requests do leave their marks.
    expect((await verify({ key: forged })).json).toMatchObject({ valid: false, code: 'invalid' });
    expect((await verify({ key: asked.key })).json).toMatchObject({ valid: true });
    expect((await storedKey(asked.id))?.lastUsedAt).toBe(START.toISOString());
    expect((await failedAuthentications()).map((entry) => entry.keyId)).toContain(asked.id);
  });

  it('reads a key that asks about itself once, with one GetItem, under either of its secrets', async () => {
    const both = await createKey(world, { owner: 'billing-service', permissions: ['key-verification:read', 'alerts:read'] });
    const calls = countedCalls();
    expect((await verify({ key: both.key, permission: 'alerts:read' }, both.key)).json).toMatchObject({ valid: true, keyId: both.id });
    expect([calls.count('GetItem'), calls.count('BatchGetItem'), calls.count('UpdateItem')]).toEqual([1, 0, 1]);

    // After a reset with a grace period the id is the same, the strings differ: still one read.
    const reset = await world.api('POST', `/v1/keys/${both.id}/reset`, { key: world.admin, body: { gracePeriod: 'PT1H' } });
    calls.reset();
    expect((await verify({ key: both.key }, reset.json.key)).json).toMatchObject({ valid: true, keyId: both.id });
    expect((await verify({ key: reset.json.key }, both.key)).json).toMatchObject({ valid: true, keyId: both.id });
    expect([calls.count('GetItem'), calls.count('BatchGetItem')]).toEqual([2, 0]);
  });

  it('asks again for keys BatchGetItem left unprocessed, and never takes them for unknown keys', async () => {
    const leaveUnprocessed = (keyId: string, times: number) => {
      const remove = rewriteOutputs<BatchGetCommandOutput>(world.deps.ddb, 'BatchGetItem', (output, call) => {
        if (call > times) return output;
        const items = output.Responses?.[world.deps.tableName] ?? [];
        const left = items.filter((item) => item.pk === `KEY#${keyId}`).map(({ pk, sk }) => ({ pk, sk }));
        return {
          ...output,
          Responses: { [world.deps.tableName]: items.filter((item) => item.pk !== `KEY#${keyId}`) },
          UnprocessedKeys: { [world.deps.tableName]: { Keys: left, ConsistentRead: true } },
        };
      });
      removeMiddleware.push(remove);
      return remove;
    };
    const calls = countedCalls();
    const once = leaveUnprocessed(presented.id, 1);
    expect((await verify({ key: presented.key })).json).toMatchObject({ valid: true, keyId: presented.id });
    expect(calls.count('BatchGetItem')).toBe(2);
    once();

    // Unprocessed every time: an error after a few requests, not a key that is "not valid".
    calls.reset();
    leaveUnprocessed(service.id, Number.POSITIVE_INFINITY);
    const failed = await verify({ key: presented.key });
    expect(failed.status).toBe(500);
    expect(failed.json.error.code).toBe('internal_error');
    expect(calls.count('BatchGetItem')).toBe(4);
    expect(await failedAuthentications()).toEqual([]);
  });

  it('still answers 401, then 403, before any error in the request body', async () => {
    const noCredential = await world.api('POST', '/v1/keys/verify', { body: { colour: 'red' } });
    expect(noCredential.status).toBe(401);
    const badJson = await world.api('POST', '/v1/keys/verify', { rawBody: '{"key": ', headers: { 'content-type': 'application/json' } });
    expect(badJson.status).toBe(401);
    expect((await verify({ colour: 'red' }, issueSecret('kg', service.id).keyString)).status).toBe(401);
    expect((await verify({ colour: 'red' }, presented.key)).status).toBe(403);
    const calls = countedCalls();
    const badBody = await verify({ key: presented.key, colour: 'red' });
    expect(badBody.status).toBe(400);
    // Only the service's own key was read, on its own.
    expect([calls.count('GetItem'), calls.count('BatchGetItem')]).toEqual([1, 0]);
  });
});
