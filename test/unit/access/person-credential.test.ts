import { type CryptoKey, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyPersonToken, type PersonTrust } from '../../../functions/access/person-credential.js';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { AuthenticationError } from '../../../functions/shared/errors.js';

const ISSUER = 'https://idp.example.com/pool';
const CLIENT = 'console-client';
const now = new Date(Date.UTC(2026, 11, 5, 9, 0, 0));
const nowS = Math.floor(now.getTime() / 1000);

let trust: PersonTrust;
let sign: (claims: Record<string, unknown>, options?: { alg?: string; typ?: string; key?: CryptoKey; kid?: string }) => Promise<string>;
let otherKey: CryptoKey;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  otherKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256' };
  trust = { issuer: ISSUER, clientId: CLIENT, policy: deploymentConfig.people, keys: createLocalJWKSet({ keys: [jwk] }), metadata: () => Promise.reject(new Error('not used')) };
  sign = (claims, options = {}) =>
    new SignJWT({ iss: ISSUER, aud: CLIENT, sub: 'sub-1', iat: nowS - 10, exp: nowS + 3600, email: 'ada@example.com', email_verified: true, ...claims })
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'k1', ...(options.typ ? { typ: options.typ } : {}) })
      .sign(options.key ?? privateKey);
});

const verify = (token: string) => verifyPersonToken(token, trust, deploymentConfig.catalog, deploymentConfig.adminRole, now);

async function refusal(token: Promise<string>): Promise<AuthenticationError> {
  const error = await verify(await token).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AuthenticationError);
  return error as AuthenticationError;
}

describe('a signed-in person’s ID token', () => {
  it('names the person by issuer, subject and email, and their owner by the email claim', async () => {
    const caller = await verify(await sign({}));
    expect(caller.credential).toBe('person');
    expect(caller.person).toEqual({ issuer: ISSUER, subject: 'sub-1', email: 'ada@example.com' });
    expect(caller.owner).toBe('ada@example.com');
    expect(caller.expanded.admin).toBe(false);
    expect(caller.grants.permissions).toContain('keys:write');
    expect(caller.expanded.permissions.has('alerts:read')).toBe(false);
  });

  it('makes members of the admin group admins', async () => {
    const caller = await verify(await sign({ 'cognito:groups': ['staff', 'keygate-admins'] }));
    expect(caller.expanded.admin).toBe(true);
    expect(caller.grants).toEqual({ roles: [{ role: 'global-admin' }], permissions: [] });
  });

  it('is refused from another issuer, for another audience, or once expired', async () => {
    expect((await refusal(sign({ iss: 'https://evil.example.com' }))).reason).toBe('invalid');
    expect((await refusal(sign({ aud: 'another-client' }))).reason).toBe('invalid');
    expect((await refusal(sign({ exp: nowS - 60 }))).reason).toBe('expired');
  });

  it('is refused when signed by a key the issuer does not publish, or with an algorithm not pinned', async () => {
    expect((await refusal(sign({}, { key: otherKey }))).reason).toBe('invalid');
    expect((await refusal(sign({}, { alg: 'HS256', key: new Uint8Array(32) as unknown as CryptoKey }))).reason).toBe('invalid');
  });

  it('is refused when it is an access token, not an ID token', async () => {
    await refusal(sign({}, { typ: 'at+jwt' }));
    await refusal(sign({ token_use: 'access' }));
  });

  it('is refused without a verified owner claim', async () => {
    await refusal(sign({ email: undefined }));
    await refusal(sign({ email_verified: false }));
  });

  it('is refused when it is not a JWT at all', async () => {
    expect((await refusal(Promise.resolve('a.b.c'))).reason).toBe('invalid');
  });
});
