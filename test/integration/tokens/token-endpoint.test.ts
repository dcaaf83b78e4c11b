import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { countCalls } from '../../support/ddb-calls.js';
import { issueSecret } from '../../../functions/keys/key-string.js';
import { basic, type CreatedKey, createKey, postForm, START, type KeygateWorld, keygateWorld } from '../../support/world.js';

let world: KeygateWorld;
let key: CreatedKey;

beforeEach(async () => {
  world = await keygateWorld();
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read', 'cases:read'], roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }] });
});

afterEach(async () => {
  vi.restoreAllMocks(); // the document client is shared by the worker's tests
  await world.close();
});

const grant = { grant_type: 'client_credentials' };
const post = (form: string | Record<string, string>, headers: Record<string, string> = {}) => postForm(world, '/oauth/token', form, headers);
const withBasic = (form: string | Record<string, string>, id = key.id, secret = key.key) => post(form, { authorization: basic(id, secret) });

/** Every refusal: the RFC 6749 §5.2 body, never cached, and no token in it. */
function expectRefusal(response: Awaited<ReturnType<typeof post>>, status: number, error: string) {
  expect({ status: response.status, error: response.json?.error }).toEqual({ status, error });
  expect(typeof response.json.error_description).toBe('string');
  expect(response.json.access_token).toBeUndefined();
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
  if (status === 401) expect(response.headers.get('www-authenticate')).toBe('Basic realm="keygate"');
}

describe('POST /oauth/token', () => {
  it('answers a token response that is never cached', async () => {
    const response = await withBasic(grant);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.json).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'alerts:read cases:read' });
  });

  it('takes client_id and client_secret in the body', async () => {
    const response = await post({ ...grant, client_id: key.id, client_secret: key.key });
    expect(response.status).toBe(200);
    expect(decodeJwt(response.json.access_token)).toMatchObject({ client_id: key.id, sub: 'siem' });
  });

  it('form-decodes the Basic user and password before using them (RFC 6749 §2.3.1)', async () => {
    const id = `%${key.id.charCodeAt(0).toString(16)}${key.id.slice(1)}`; // first character percent-encoded
    const response = await post(grant, { authorization: `Basic ${Buffer.from(`${id}:${key.key}`).toString('base64')}` });
    expect(response.status).toBe(200);
  });

  it('narrows the token to the requested scope, aliases resolved', async () => {
    const response = await withBasic({ ...grant, scope: 'cases:read' });
    expect(response.json.scope).toBe('cases:read');
    const claims = decodeJwt(response.json.access_token);
    expect(claims.scope).toBe('cases:read');
    expect(claims.roles).toBeUndefined();
  });

  it('treats an empty parameter as omitted', async () => {
    const response = await withBasic('grant_type=client_credentials&scope=');
    expect(response.json.scope).toBe('alerts:read cases:read');
  });

  it('never lets a token outlive its key', async () => {
    const shortLived = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'PT5M' });
    const response = await withBasic(grant, shortLived.id, shortLived.key);
    expect(response.json.expires_in).toBe(300);
    expect(decodeJwt(response.json.access_token).exp).toBe(START.getTime() / 1000 + 300);
  });

  describe('refuses, with the RFC 6749 error and no token,', () => {
    it('a body that is not form-encoded', async () => {
      const json = await fetch(`${world.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: basic(key.id, key.key) },
        body: JSON.stringify(grant),
      });
      expectRefusal({ status: json.status, headers: json.headers, json: await json.json() }, 400, 'invalid_request');
      expectRefusal(await post('grant_type=client_credentials', { 'content-type': 'text/plain', authorization: basic(key.id, key.key) }), 400, 'invalid_request');
      expectRefusal(await post('grant_type=client_credentials', { 'content-type': 'application/x-www-form-urlencoded; charset=latin1', authorization: basic(key.id, key.key) }), 400, 'invalid_request');
    });

    it('a missing grant_type', async () => {
      expectRefusal(await withBasic({ scope: 'alerts:read' }), 400, 'invalid_request');
    });

    it.each([
      ['grant_type', 'grant_type=client_credentials&grant_type=client_credentials'],
      ['scope', 'grant_type=client_credentials&scope=alerts:read&scope=cases:read'],
    ])('a repeated parameter (%s)', async (_name, form) => {
      expectRefusal(await withBasic(form), 400, 'invalid_request');
    });

    it('a repeated client_id in the body', async () => {
      const form = `grant_type=client_credentials&client_id=${key.id}&client_id=${key.id}&client_secret=${key.key}`;
      expectRefusal(await post(form), 400, 'invalid_request');
    });

    it.each(['password', 'authorization_code', 'urn:ietf:params:oauth:grant-type:jwt-bearer'])('grant_type %s', async (grantType) => {
      expectRefusal(await withBasic({ grant_type: grantType }), 400, 'unsupported_grant_type');
    });

    it('a request without client authentication', async () => {
      expectRefusal(await post(grant), 401, 'invalid_client');
      expectRefusal(await post({ ...grant, client_id: key.id }), 401, 'invalid_client');
    });

    it('client authentication by Basic and by the body at once', async () => {
      expectRefusal(await withBasic({ ...grant, client_id: key.id, client_secret: key.key }), 400, 'invalid_request');
    });

    it('an Authorization header that is not Basic', async () => {
      expectRefusal(await post(grant, { authorization: `Bearer ${key.key}` }), 401, 'invalid_client');
    });

    it('a wrong secret', async () => {
      const forged = issueSecret('kg', key.id).keyString; // well-formed, right id, checksum fine, secret wrong
      expectRefusal(await withBasic(grant, key.id, forged), 401, 'invalid_client');
      expectRefusal(await post({ ...grant, client_id: key.id, client_secret: forged }), 401, 'invalid_client');
    });

    it('a bad-checksum key, without reading the table', async () => {
      const calls = countCalls(world.deps.ddb);
      onTestFinished(calls.remove);
      const last = key.key.at(-1) === 'A' ? 'B' : 'A';
      expectRefusal(await withBasic(grant, key.id, `${key.key.slice(0, -1)}${last}`), 401, 'invalid_client');
      expect(calls.total()).toBe(0);
    });

    it("another key's secret under this client_id, without reading the table", async () => {
      const other = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
      const calls = countCalls(world.deps.ddb);
      onTestFinished(calls.remove);
      expectRefusal(await withBasic(grant, key.id, other.key), 401, 'invalid_client');
      expect(calls.total()).toBe(0);
    });

    it('a deleted key', async () => {
      expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);
      const response = await withBasic(grant);
      expectRefusal(response, 401, 'invalid_client');
      expect(response.json.error_description).toMatch(/deleted/);
    });

    it('an expired key', async () => {
      const shortLived = await createKey(world, { owner: 'siem', permissions: ['alerts:read'], expiresIn: 'PT5M' });
      world.clock.advance(5 * 60_000);
      const response = await withBasic(grant, shortLived.id, shortLived.key);
      expectRefusal(response, 401, 'invalid_client');
      expect(response.json.error_description).toMatch(/expired/);
    });

    it.each([
      ['a permission the key lacks', 'alerts:write', /does not hold alerts:write/],
      ['one the key lacks among ones it holds', 'alerts:read users:read', /does not hold users:read/],
      ['a permission held only on some instances', 'cloud-accounts:read', /only on some instances/],
      ['an unknown resource', 'nothing:read', /no resource "nothing"/],
      ['a resource never granted to keys', 'oauth:read', /never be granted/],
      ['a malformed scope', 'alerts:read  cases:read', /single spaces/],
    ])('an over-broad or bad scope: %s', async (_what, scope, message) => {
      const response = await withBasic({ ...grant, scope });
      expectRefusal(response, 400, 'invalid_scope');
      expect(response.json.error_description).toMatch(message);
    });
  });
});
