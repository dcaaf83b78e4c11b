import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, basic, type CreatedKey, createKey, introspect, postForm, START, type KeygateWorld, tokenFor, keygateWorld } from '../../support/world.js';

let world: KeygateWorld;
let key: CreatedKey;

beforeEach(async () => {
  world = await keygateWorld();
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read', 'cases:read'], roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }] });
});

afterEach(async () => {
  await world.close();
});

const MINUTE = 60_000;
const active = async (token: string) => (await introspect(world, token)).json.active as boolean;
const exchange = (credential: CreatedKey) => postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(credential.id, credential.key) });

async function reset(body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await world.api('POST', `/v1/keys/${key.id}/reset`, { key: world.admin, body });
  expect(response.status).toBe(200);
  return { id: key.id, key: response.json.key };
}

describe('POST /oauth/introspect', () => {
  it('shows an active token with its claims (RFC 7662), never cached', async () => {
    const token = await tokenFor(world, key);
    const response = await introspect(world, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const claims = decodeJwt(token);
    expect(response.json).toEqual({
      active: true,
      token_type: 'Bearer',
      iss: world.url,
      sub: 'siem',
      aud: AUDIENCE,
      client_id: key.id,
      iat: START.getTime() / 1000,
      exp: START.getTime() / 1000 + 900,
      jti: claims.jti,
      scope: 'alerts:read cases:read',
      roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    });
  });

  it('says only active:false for a token that is not one, or has expired', async () => {
    expect(await introspect(world, 'not-a-token')).toMatchObject({ status: 200, json: { active: false } });
    const token = await tokenFor(world, key);
    world.clock.advance(15 * MINUTE - 1000);
    expect(await active(token)).toBe(true);
    world.clock.advance(1000);
    expect((await introspect(world, token)).json).toEqual({ active: false });
  });

  it('needs a bearer key holding tokens:read', async () => {
    const token = await tokenFor(world, key);
    const missing = await postForm(world, '/oauth/introspect', { token });
    expect(missing).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="keygate", error="invalid_token"');

    const weak = await createKey(world, { owner: 'rs', permissions: ['alerts:read'] });
    const refused = await introspect(world, token, weak.key);
    expect(refused).toMatchObject({ status: 403, json: { error: 'insufficient_scope' } });
    expect(refused.json.active).toBeUndefined();

    const introspector = await createKey(world, { owner: 'rs', permissions: ['tokens:read'] });
    expect(await introspect(world, token, introspector.key)).toMatchObject({ status: 200, json: { active: true } });
    // A token is no bearer credential for keygate's own endpoints.
    expect(await introspect(world, token, token)).toMatchObject({ status: 401, json: { error: 'invalid_token' } });
  });

  it('refuses a request without the token parameter, or not form-encoded', async () => {
    expect(await postForm(world, '/oauth/introspect', {}, { authorization: `Bearer ${world.admin}` })).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
    const json = await world.api('POST', '/oauth/introspect', { key: world.admin, body: { token: 'x' } });
    expect(json).toMatchObject({ status: 400, json: { error: 'invalid_request' } });
  });
});

describe('revocation bites at once', () => {
  it('a reset without grace: the old secret gets no token, its tokens die, the new secret works at the same instant', async () => {
    const before = await tokenFor(world, key);
    const renewed = await reset();
    expect((await exchange(key)).json.error).toBe('invalid_client');
    const after = await tokenFor(world, renewed);
    // Same clock reading for all three: an iat comparison could not tell these tokens apart.
    expect(decodeJwt(before).iat).toBe(decodeJwt(after).iat);
    expect(await active(before)).toBe(false);
    expect(await active(after)).toBe(true);
  });

  it('a reset with a grace period: tokens of the old secret live until the grace ends, those of the new one after it', async () => {
    const before = await tokenFor(world, key);
    const renewed = await reset({ gracePeriod: 'PT5M' });
    world.clock.advance(MINUTE);
    const duringGrace = await tokenFor(world, key); // the old secret still mints
    const fresh = await tokenFor(world, renewed);
    expect([await active(before), await active(duringGrace), await active(fresh)]).toEqual([true, true, true]);
    world.clock.advance(4 * MINUTE);
    expect((await exchange(key)).json.error).toBe('invalid_client');
    expect([await active(before), await active(duringGrace), await active(fresh)]).toEqual([false, false, true]);
  });

  it('a deleted key gets no token and its tokens die', async () => {
    const token = await tokenFor(world, key);
    expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);
    expect((await exchange(key)).status).toBe(401);
    expect(await active(token)).toBe(false);
  });

  it('a key that expired for inactivity makes its tokens inactive', async () => {
    const token = await tokenFor(world, key);
    await world.deps.ddb.send(
      new UpdateCommand({
        TableName: world.deps.tableName,
        Key: { pk: `KEY#${key.id}`, sk: 'KEY' },
        UpdateExpression: 'SET inactiveAt = :now',
        ExpressionAttributeValues: { ':now': world.clock().toISOString() },
      }),
    );
    expect(await active(token)).toBe(false);
  });

  it('an edit that takes a permission away makes tokens carrying it inactive; narrowed tokens without it live', async () => {
    const full = await tokenFor(world, key);
    const narrow = await tokenFor(world, key, 'cases:read');
    const edit = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { permissions: ['cases:read'], roles: [] } });
    expect(edit.status).toBe(200);
    expect(await active(full)).toBe(false);
    expect(await active(narrow)).toBe(true);
  });

  it('an edit that narrows a role scope makes tokens carrying the wider role inactive', async () => {
    const token = await tokenFor(world, key);
    const edit = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { roles: [{ role: 'cloud-account-viewer', scope: ['acct-2'] }] } });
    expect(edit.status).toBe(200);
    expect(await active(token)).toBe(false);
  });
});
