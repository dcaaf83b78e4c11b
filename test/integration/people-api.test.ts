import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../functions/deployment-config.js';
import { storedItems } from './api-client.js';
import { createKey, type KeygateWorld, keygateWorld, START, tokenFor } from '../support/world.js';

/**
 * People signed in with OpenID Connect on the management API: the third kind of credential.
 * The issuer here is a key pair of the test's own (the dev identity provider is exercised by
 * the browser tests).
 */
const ISSUER = 'https://idp.example.com/pool';
const CLIENT = 'keygate-console';
const nowS = Math.floor(START.getTime() / 1000);

let privateKey: CryptoKey;
let world: KeygateWorld;

beforeEach(async () => {
  world = await keygateWorld();
});

afterEach(async () => {
  await world.close();
});

async function trustIssuer() {
  const { privateKey: signer, publicKey } = await generateKeyPair('RS256');
  privateKey = signer;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' };
  world.deps.people = {
    issuer: ISSUER,
    clientId: CLIENT,
    policy: deploymentConfig.people,
    keys: createLocalJWKSet({ keys: [jwk] }),
    metadata: () => Promise.reject(new Error('not used here')),
  };
}

function idToken(email: string, claims: Record<string, unknown> = {}) {
  return new SignJWT({ email, email_verified: true, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
    .setIssuer(ISSUER)
    .setAudience(CLIENT)
    .setSubject(`sub-${email}`)
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + 3600)
    .sign(privateKey);
}

describe('a signed-in person on the management API', () => {
  beforeEach(trustIssuer);

  it('manages their own keys as the owner their email names, and the audit log names the person', async () => {
    const ada = await idToken('ada@example.com');
    const created = await world.api('POST', '/v1/keys', { key: ada, body: { name: 'laptop-script', permissions: ['keys:read'], expiresIn: 'P30D' } });
    expect(created.status).toBe(201);
    expect(created.json.owner).toBe('ada@example.com');
    expect(created.json.createdBy).toEqual({ owner: 'ada@example.com', person: { issuer: ISSUER, subject: 'sub-ada@example.com', email: 'ada@example.com' } });
    const entry = (await storedItems(world.deps)).find((item) => item.action === 'key.create' && item.keyId === created.json.id);
    expect(entry?.actor).toEqual({ owner: 'ada@example.com', person: { issuer: ISSUER, subject: 'sub-ada@example.com', email: 'ada@example.com' } });

    const me = await world.api('GET', '/v1/me', { key: ada });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ owner: 'ada@example.com', admin: false, person: { email: 'ada@example.com' } });
  });

  it('sees only their own keys, and cannot grant what they do not hold', async () => {
    await createKey(world, { owner: 'bob@example.com', permissions: ['alerts:read'] });
    const ada = await idToken('ada@example.com');
    const listed = await world.api('GET', '/v1/keys', { key: ada });
    expect(listed.status).toBe(200);
    expect(listed.json.items).toEqual([]);
    const escalate = await world.api('POST', '/v1/keys', { key: ada, body: { name: 'x', permissions: ['alerts:write'] } });
    expect(escalate.status).toBe(403);
    const forOther = await world.api('POST', '/v1/keys', { key: ada, body: { name: 'x', owner: 'bob@example.com', permissions: ['keys:read'] } });
    expect(forOther.status).toBe(403);
  });

  it('is an admin as a member of the admin group', async () => {
    await createKey(world, { owner: 'bob@example.com', permissions: ['alerts:read'] });
    const root = await idToken('root@example.com', { 'cognito:groups': ['keygate-admins'] });
    const listed = await world.api('GET', '/v1/keys?owner=bob@example.com', { key: root });
    expect(listed.json.items).toHaveLength(1);
    expect((await world.api('GET', '/v1/audit?limit=1', { key: root })).status).toBe(200);
  });

  it('is refused with another audience, and keygate access tokens stay refused', async () => {
    const wrong = await new SignJWT({ email: 'ada@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setIssuer(ISSUER)
      .setAudience('some-other-app')
      .setSubject('s')
      .setIssuedAt(nowS)
      .setExpirationTime(nowS + 60)
      .sign(privateKey);
    const refused = await world.api('GET', '/v1/keys', { key: wrong });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('invalid_token');

    const key = await createKey(world, { owner: 'alice', permissions: ['keys:read'] });
    const accessToken = await tokenFor(world, key);
    const withToken = await world.api('GET', '/v1/keys', { key: accessToken });
    expect(withToken.status).toBe(401);
    expect(withToken.json.error.message).toMatch(/not access tokens/);
  });
});

describe('without a configured issuer', () => {
  it('takes keys only: an ID token is refused like any other JWT', async () => {
    await trustIssuer();
    const ada = await idToken('ada@example.com');
    world.deps.people = undefined;
    expect((await world.api('GET', '/v1/keys', { key: ada })).status).toBe(401);
  });
});
