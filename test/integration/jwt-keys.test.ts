import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { countCalls } from '../support/ddb-calls.js';
import { ownTokenTrust } from '../../functions/access/verify-credential.js';
import { type AuthorizerSettings, checkSettings, decide } from '../../functions/authorizer/authorizer.js';
import { logger } from '../../functions/observability/logger.js';
import { KEY_JWT_TYPE } from '../../functions/keys/key-jwt.js';
import { remoteKeyJwtTrust } from '../../functions/signing/key-jwt-trust.js';
import { routeTokenDeps } from '../../functions/runtime/route-deps.js';
import { getCatalogContract } from '../../functions/catalog/get-catalog.contract.js';
import { authenticateKey } from '../../functions/keys/key-authentication.js';
import { addDuration } from '../../functions/shared/durations.js';
import { generateSigningKey } from '../../functions/signing/signing-keys.js';
import { LOCAL_KEY_ISSUER, localSigningKeyFile, localTokenDeps } from '../../dev/local-tokens.js';
import { storedItems } from './api-client.js';
import { basic, type CreatedKey, createKey, fetchJwks, introspect, postForm, START, type KeygateWorld, tokenFor, keygateWorld, verifyAsResourceServer } from '../support/world.js';

/**
 * JWT-format keys end to end, through the local gateway over DynamoDB Local: what is issued and
 * stored, every place that takes a key, the stored record deciding (grants, reset, delete,
 * expiry), the type separation from access tokens, and signing-key rotation over a key's life.
 */
let world: KeygateWorld;
let settings: AuthorizerSettings;

const MINUTE = 60_000;
const DAY = 86_400_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

beforeEach(async () => {
  vi.spyOn(logger, 'info').mockImplementation(() => {});
  world = await keygateWorld();
  settings = checkSettings(world.deps.config.catalog, {
    routes: {
      'GET /alerts': { permission: 'alerts:read' },
      'POST /alerts': { permission: 'alerts:write' },
      'GET /cases': { permission: 'cases:read' },
      'GET /cloud-accounts/{accountId}': { permission: 'cloud-accounts:read', instanceFrom: 'accountId' },
    },
    credentialHeaders: ['authorization', 'x-api-key'],
    tokens: ownTokenTrust(world.deps.tokens!),
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await world.close();
});

const jwtKey = (body: Record<string, unknown>) => createKey(world, { format: 'jwt', owner: 'siem', ...body });

async function reason(routeKey: string, headers: Record<string, string>, pathParameters: Record<string, string> = {}) {
  const decision = await decide(world.deps, settings, { routeKey, headers, pathParameters });
  return decision.allow ? `allowed ${decision.caller.credential}` : `${decision.status} ${decision.reason}`;
}

const bearer = (credential: string) => ({ authorization: `Bearer ${credential}` });
const keyJwks = async () => (await (await fetch(`${world.url}/v1/keys/jwks.json`)).json()) as JSONWebKeySet;

describe('creating a JWT-format key', () => {
  it('returns a kg-key+jwt JWT once, naming the key, and stores only a SHA-256 of the whole JWT', async () => {
    const response = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'siem-export', owner: 'siem', format: 'jwt', permissions: ['alerts:read'], roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], expiresIn: 'P30D' },
    });
    expect(response.status).toBe(201);
    const { key, id, expiresAt } = response.json;
    expect(response.json).toMatchObject({ format: 'jwt', owner: 'siem', status: 'active' });
    expect(expiresAt).toBe(new Date(START.getTime() + 30 * DAY).toISOString());

    const header = decodeProtectedHeader(key);
    expect(header).toEqual({ alg: 'ES256', typ: KEY_JWT_TYPE, kid: expect.any(String) });
    expect((await keyJwks()).keys.map((k) => k.kid)).toContain(header.kid);
    const claims = decodeJwt(key);
    expect(claims).toEqual({
      iss: world.url,
      sub: 'siem',
      key_id: id,
      grants: { roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], permissions: ['alerts:read'] },
      iat: START.getTime() / 1000,
      exp: new Date(expiresAt).getTime() / 1000,
      jti: expect.stringMatching(/^[0-9A-Za-z]{43}$/),
    });

    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${id}`);
    expect(stored).toMatchObject({ format: 'jwt', secretHash: sha256(key) });
    const everything = JSON.stringify(await storedItems(world.deps));
    for (const part of [key, ...key.split('.'), claims.jti as string]) expect(everything).not.toContain(part);

    const details = await world.api('GET', `/v1/keys/${id}`, { key: world.admin });
    expect(details.json.format).toBe('jwt');
    expect(details.json).not.toHaveProperty('key');
    const classic = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    expect((await world.api('GET', `/v1/keys/${classic.id}`, { key: world.admin })).json.format).toBe('key');
  });

  it('refuses an unknown format with a 400 that names the choices, and stores nothing', async () => {
    const before = (await storedItems(world.deps)).length;
    for (const format of ['pem', 'JWT', 42, null]) {
      const response = await world.api('POST', '/v1/keys', { key: world.admin, body: { name: 'odd', format, permissions: ['alerts:read'] } });
      expect(response.status, String(format)).toBe(400);
      expect(response.json.error.message).toContain('format must be "key" (a kg_ key string) or "jwt" (a signed JWT)');
    }
    expect(await storedItems(world.deps)).toHaveLength(before);
  });

  it('refuses grants too large to carry in a JWT with a 400, and stores nothing', async () => {
    const before = (await storedItems(world.deps)).length;
    const scope = Array.from({ length: 100 }, (_, i) => `account-${i}-${'x'.repeat(40)}`);
    const response = await world.api('POST', '/v1/keys', {
      key: world.admin,
      body: { name: 'huge', format: 'jwt', roles: [{ role: 'cloud-account-viewer', scope }] },
    });
    expect(response.status).toBe(400);
    expect(response.json.error).toMatchObject({ code: 'key_too_long', message: expect.stringContaining('use "format": "key"') });
    expect(await storedItems(world.deps)).toHaveLength(before);
  });
});

describe('using a JWT-format key', () => {
  it('works wherever a key does: management routes, the authorizer (either header), /v1/keys/verify and /oauth/token', async () => {
    const key = await jwtKey({ permissions: ['alerts:read', 'keys:read', 'key-verification:read'] });
    expect((await world.api('GET', '/v1/catalog', { key: key.key })).status).toBe(200);
    const listed = await world.api('GET', '/v1/keys', { key: key.key });
    expect(listed.status).toBe(200);
    expect(listed.json.items.map((k: { id: string }) => k.id)).toEqual([key.id]);

    expect(await reason('GET /alerts', bearer(key.key))).toBe('allowed key');
    expect(await reason('GET /alerts', { 'x-api-key': key.key })).toBe('allowed key');
    expect(await reason('POST /alerts', bearer(key.key))).toBe('403 lacks alerts:write');

    const verified = await world.api('POST', '/v1/keys/verify', { key: key.key, body: { key: key.key, permission: 'alerts:read' } });
    expect(verified.json).toMatchObject({ valid: true, code: 'valid', keyId: key.id, owner: 'siem' });

    const token = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(key.id, key.key) });
    expect(token.status).toBe(200);
    expect(decodeJwt(token.json.access_token)).toMatchObject({ client_id: key.id, sub: 'siem' });
    expect((await introspect(world, token.json.access_token)).json).toMatchObject({ active: true, client_id: key.id });
    const other = await jwtKey({ permissions: ['alerts:read'] });
    const mismatched = await postForm(world, '/oauth/token', { grant_type: 'client_credentials', client_id: other.id, client_secret: key.key });
    expect(mismatched.status).toBe(401);
    expect(mismatched.json.error_description).toContain('does not belong to this client_id');
  });

  it('refuses a JWT keygate did not sign before any table read', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'] });
    const [header, payload, signature] = key.key.split('.') as [string, string, string];
    const { kid } = decodeProtectedHeader(key.key);
    const stranger = await generateSigningKey('ES256', START, START);
    const { importJWK } = await import('jose');
    const strangerKey = await importJWK(stranger.privateJwk, 'ES256');
    const resigned = await new SignJWT(decodeJwt(key.key)).setProtectedHeader({ alg: 'ES256', typ: KEY_JWT_TYPE, kid }).sign(strangerKey);
    const escalated = Buffer.from(JSON.stringify({ ...decodeJwt(key.key), grants: { roles: [{ role: 'global-admin' }], permissions: [] } })).toString('base64url');
    const unknownKid = await new SignJWT(decodeJwt(key.key)).setProtectedHeader({ alg: 'ES256', typ: KEY_JWT_TYPE, kid: stranger.kid }).sign(strangerKey);

    const calls = countCalls(world.deps.ddb);
    onTestFinished(calls.remove);
    for (const forged of [resigned, `${header}.${escalated}.${signature}`, unknownKid, `${header}.${payload}.${signature.slice(0, -4)}AAAA`]) {
      expect(await reason('GET /alerts', bearer(forged))).toBe('401 invalid');
      await expect(authenticateKey(world.deps, forged)).rejects.toMatchObject({ reason: 'invalid', subject: undefined });
    }
    expect(calls.total()).toBe(0);
    calls.reset();
    expect((await world.api('GET', '/v1/catalog', { key: resigned })).status).toBe(401);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('allowed key');
  });

  it('is governed by the stored record: the grants after a PATCH, deletion, expiry and inactivity', async () => {
    const key = await jwtKey({ permissions: ['alerts:read', 'alerts:write'], expiresIn: 'P6M' });
    expect(await reason('POST /alerts', bearer(key.key))).toBe('allowed key');
    const patched = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { permissions: ['alerts:read', 'cases:read'] } });
    expect(patched.status).toBe(200);
    // The JWT still claims alerts:write and not cases:read: the stored grants decide.
    expect((decodeJwt(key.key).grants as { permissions: string[] }).permissions).toEqual(['alerts:read', 'alerts:write']);
    expect(await reason('POST /alerts', bearer(key.key))).toBe('403 lacks alerts:write');
    expect(await reason('GET /cases', bearer(key.key))).toBe('allowed key');
    const verified = await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: key.key } });
    expect(verified.json.permissions).toEqual({ 'alerts:read': '*', 'cases:read': '*' });

    expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('401 revoked');

    const idle = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P6M' });
    const brief = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P1D' });
    world.clock.advance(DAY - MINUTE);
    expect(await reason('GET /alerts', bearer(brief.key))).toBe('allowed key');
    world.clock.advance(MINUTE);
    expect(await reason('GET /alerts', bearer(brief.key))).toBe('401 expired');
    world.clock.advance(92 * DAY); // P3M from 23 November is 23 February
    expect(await reason('GET /alerts', bearer(idle.key))).toBe('401 expired_inactive');
  });

  it('takes a shortened expiry from the record, though the JWT says later', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P30D' });
    const shortened = await world.api('PATCH', `/v1/keys/${key.id}`, { key: world.admin, body: { expiresIn: 'P1D' } });
    expect(shortened.status).toBe(200);
    world.clock.advance(DAY);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('401 expired');
    expect(decodeJwt(key.key).exp).toBe((START.getTime() + 30 * DAY) / 1000);
  });

  it('reset signs a new JWT (new jti); the old one stops at once, or when the grace period ends', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'] });
    world.clock.advance(MINUTE);
    const reset = await world.api('POST', `/v1/keys/${key.id}/reset`, { key: world.admin, body: {} });
    expect(reset.status).toBe(200);
    expect(reset.json.format).toBe('jwt');
    const [before, after] = [decodeJwt(key.key), decodeJwt(reset.json.key)];
    expect(after).toMatchObject({ key_id: key.id, sub: 'siem', exp: before.exp, iat: (before.iat as number) + 60 });
    expect(after.jti).not.toBe(before.jti);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('401 invalid');
    expect(await reason('GET /alerts', bearer(reset.json.key))).toBe('allowed key');
    const stored = (await storedItems(world.deps)).find((item) => item.pk === `KEY#${key.id}`);
    expect(stored?.secretHash).toBe(sha256(reset.json.key));

    const graced = await world.api('POST', `/v1/keys/${key.id}/reset`, { key: world.admin, body: { gracePeriod: 'PT1H' } });
    expect(await reason('GET /alerts', bearer(reset.json.key))).toBe('allowed key');
    expect(await reason('GET /alerts', bearer(graced.json.key))).toBe('allowed key');
    world.clock.advance(60 * MINUTE);
    expect(await reason('GET /alerts', bearer(reset.json.key))).toBe('401 invalid');
    expect(await reason('GET /alerts', bearer(graced.json.key))).toBe('allowed key');
  });
});

describe('JWT-format keys on functions that hold no signing keys', () => {
  it('are checked against the key JWKS of ISSUER_URL, read once', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'] });
    const saved = process.env.ISSUER_URL;
    process.env.ISSUER_URL = world.url;
    try {
      const { route } = await import('../../functions/catalog/get-catalog.js');
      // As on Lambda: no deps.tokens and no signing-key secret, only the issuer URL, wired by the
      // composition root from the route's table entry and its environment.
      const deps = { ...world.deps, tokens: undefined, ...routeTokenDeps(getCatalogContract) };
      const event = (credential: string) =>
        ({ headers: { authorization: `Bearer ${credential}` }, requestContext: { requestId: 'test', http: { sourceIp: '127.0.0.1' } } }) as never;
      const fetches = vi.spyOn(globalThis, 'fetch');
      expect((await route.handle(event(key.key), deps)).statusCode).toBe(200);
      expect((await route.handle(event(key.key), deps)).statusCode).toBe(200);
      expect(fetches.mock.calls.map(([url]) => String(url))).toEqual([`${world.url}/v1/keys/jwks.json`]);
      expect((await route.handle(event(world.admin), deps)).statusCode).toBe(200);
      expect(fetches).toHaveBeenCalledTimes(1);
    } finally {
      if (saved === undefined) delete process.env.ISSUER_URL;
      else process.env.ISSUER_URL = saved;
    }
  });
});

describe('JWT-format keys and access tokens', () => {
  it('a JWT-format key is never taken for an access token', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'] });
    expect((await introspect(world, key.key)).json).toEqual({ active: false });
    await expect(verifyAsResourceServer(world, key.key, await fetchJwks(world))).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    // The authorizer takes it as a key, checked against the table: a deletion bites at once.
    expect(await reason('GET /alerts', bearer(key.key))).toBe('allowed key');
    expect((await world.api('DELETE', `/v1/keys/${key.id}`, { key: world.admin })).status).toBe(204);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('401 revoked');
  });

  it('an access token is never taken for a key', async () => {
    const key = await jwtKey({ permissions: ['alerts:read', 'keys:read'] });
    const token = await tokenFor(world, key);
    expect(await reason('GET /alerts', bearer(token))).toBe('allowed token');
    expect((await world.api('GET', '/v1/keys', { key: token })).status).toBe(401);
    expect((await world.api('POST', '/v1/keys/verify', { key: world.admin, body: { key: token } })).json).toMatchObject({ valid: false, code: 'malformed' });
    await expect(authenticateKey(world.deps, token)).rejects.toMatchObject({ reason: 'malformed' });
    // Relabelled as a key, its signature no longer covers its header: refused unread.
    const [, payload, signature] = token.split('.');
    const relabelled = `${Buffer.from(JSON.stringify({ ...decodeProtectedHeader(token), typ: KEY_JWT_TYPE })).toString('base64url')}.${payload}.${signature}`;
    expect(await reason('GET /alerts', bearer(relabelled))).toBe('401 invalid');
  });
});

describe('signing-key rotation over a JWT-format key’s life', () => {
  const rotate = () => localSigningKeyFile(world.keyFile, world.clock.now).rotate();

  it('keeps a P6M key working through monthly rotations until its expiry; its signer leaves the token JWKS but not the key JWKS', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P6M' });
    const signer = decodeProtectedHeader(key.key).kid;
    const expiresAt = addDuration(START, 'P6M');
    const rotated: string[] = [];
    for (let month = 1; month <= 6; month++) {
      world.clock.set(new Date(START.getTime() + month * 30 * DAY));
      rotated.push((await rotate()).added.kid);
      world.clock.advance(6 * MINUTE); // past the ring's cache: the gateway sees the new document
      expect(await reason('GET /alerts', bearer(key.key)), `month ${month}`).toBe('allowed key');
      expect((await world.api('GET', '/v1/catalog', { key: key.key })).status, `month ${month}`).toBe(200);
    }
    expect(new Set(rotated).size).toBe(6);
    expect((await fetchJwks(world)).keys.map((k) => k.kid)).not.toContain(signer);
    expect((await keyJwks()).keys.map((k) => k.kid)).toContain(signer);
    const document = JSON.parse(await readFile(world.keyFile, 'utf8')) as { keys: { kid: string }[]; retired: { kid: string }[] };
    expect(document.keys.map((k) => k.kid)).not.toContain(signer);
    expect(document.retired.map((k) => k.kid)).toContain(signer);

    world.clock.set(new Date(expiresAt.getTime() - MINUTE));
    expect(await reason('GET /alerts', bearer(key.key))).toBe('allowed key');
    // A verifier holding no signing keys (keygate's other functions, the authorizer) fetches the key JWKS.
    const remote = { ...world.deps, tokens: undefined, keyJwts: remoteKeyJwtTrust(world.url) };
    expect((await authenticateKey(remote, key.key)).keyId).toBe(key.id);
    world.clock.set(expiresAt);
    expect(await reason('GET /alerts', bearer(key.key))).toBe('401 expired');
  });

  it('a verifier of the key JWKS re-reads it once for an unknown signing key, then refuses', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'] });
    const fetches = vi.spyOn(globalThis, 'fetch');
    const remote = { ...world.deps, tokens: undefined, keyJwts: remoteKeyJwtTrust(world.url) };
    expect((await authenticateKey(remote, key.key)).keyId).toBe(key.id);
    const stranger = await generateSigningKey('ES256', START, START);
    const { importJWK } = await import('jose');
    const unknown = await new SignJWT(decodeJwt(key.key)).setProtectedHeader({ alg: 'ES256', typ: KEY_JWT_TYPE, kid: stranger.kid }).sign(await importJWK(stranger.privateJwk, 'ES256'));
    await expect(authenticateKey(remote, unknown)).rejects.toMatchObject({ reason: 'invalid' });
    expect(fetches.mock.calls.map(([url]) => String(url))).toEqual([`${world.url}/v1/keys/jwks.json`, `${world.url}/v1/keys/jwks.json`]);
  });

  it('a key signed by a newly activated signing key verifies without a re-read for a verifier whose key JWKS copy is as old as allowed', async () => {
    const remote = { ...world.deps, tokens: undefined, keyJwts: remoteKeyJwtTrust(world.url) };
    const tokens = world.deps.tokens!.settings;
    const early = await jwtKey({ permissions: ['alerts:read'] });
    const { added } = await rotate();
    const activation = START.getTime() + tokens.publishAheadMs;
    // The verifier reads its copy as late as a copy still fresh at activation can have been read.
    world.clock.set(new Date(activation - tokens.jwksMaxAgeSeconds * 1000 + MINUTE));
    expect((await authenticateKey(remote, early.key)).keyId).toBe(early.id);
    const fetches = vi.spyOn(globalThis, 'fetch');
    world.clock.set(new Date(activation));
    const late = await jwtKey({ permissions: ['alerts:read'] });
    expect(decodeProtectedHeader(late.key).kid).toBe(added.kid);
    fetches.mockClear();
    expect((await authenticateKey(remote, late.key)).keyId).toBe(late.id);
    expect(fetches).not.toHaveBeenCalled();
  });
});

describe('a JWT-format key when the issuer URL changes', () => {
  it('keeps working in the local run restarted on another port: its issuer does not name the port', async () => {
    // As dev/start.ts builds it: the same signing-key file, the gateway's URL changing with PORT.
    const first = localTokenDeps('http://127.0.0.1:3000', { path: world.keyFile, clock: world.clock.now, keyIssuer: LOCAL_KEY_ISSUER });
    const later = localTokenDeps('http://127.0.0.1:3999', { path: world.keyFile, clock: world.clock.now, keyIssuer: LOCAL_KEY_ISSUER });
    world.deps.tokens = first;
    const key = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P30D' });
    expect(decodeJwt(key.key).iss).toBe(LOCAL_KEY_ISSUER);
    world.deps.tokens = later;
    await expect(authenticateKey(world.deps, key.key)).resolves.toMatchObject({ keyId: key.id });
  });

  it('keeps working on AWS after a custom domain once the earlier issuer is listed, and not before', async () => {
    const key = await jwtKey({ permissions: ['alerts:read'], expiresIn: 'P30D' });
    expect(decodeJwt(key.key).iss).toBe(world.url);
    const moved = { ...world.deps, tokens: { ...world.deps.tokens!, issuer: 'https://keys.example.com' } };
    await expect(authenticateKey(moved, key.key)).rejects.toMatchObject({ reason: 'invalid' });
    const listed = { ...moved, config: { ...moved.config, tokens: { ...moved.config.tokens, earlierKeyIssuers: [world.url] } } };
    await expect(authenticateKey(listed, key.key)).resolves.toMatchObject({ keyId: key.id });
    // Only keygate's own keys: the earlier issuer is never accepted in an access token.
    const token = await tokenFor(world, key);
    expect(decodeJwt(token).iss).toBe(world.url);
  });
});
