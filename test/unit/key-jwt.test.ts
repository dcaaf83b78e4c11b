import { randomUUID } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, type JSONWebKeySet, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { isKeyJwt, KEY_JWT_TYPE, type KeyJwtClaims, MAX_KEY_JWT_LENGTH, signKeyJwt, verifyKeyJwt } from '../../functions/keys/key-jwt.js';
import { newSecret } from '../../functions/keys/key-string.js';
import { newKeyId } from '../../functions/shared/ids.js';
import { signAccessToken, verifyAccessToken } from '../../functions/tokens/access-token.js';
import { generateSigningKey, publicJwk, type Signer, SigningKeyRing } from '../../functions/signing/signing-keys.js';

const ISSUER = 'https://keygate.example.com';
const NOW = new Date('2026-11-23T12:00:00.000Z');
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

async function keyPair(alg: 'ES256' | 'RS256' = 'ES256'): Promise<{ signer: Signer; jwks: JSONWebKeySet }> {
  const key = await generateSigningKey(alg, NOW, new Date(0));
  const ring = new SigningKeyRing({ load: async () => ({ version: 1, keys: [key] }) }, { keepPublishedMs: 0 });
  return { signer: await ring.signer(NOW), jwks: { keys: [publicJwk(key)] } };
}

function claims(overrides: Partial<KeyJwtClaims> = {}): KeyJwtClaims {
  return {
    iss: ISSUER,
    sub: 'siem',
    key_id: newKeyId(),
    grants: { roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }], permissions: ['alerts:read'] },
    iat: seconds(NOW),
    exp: seconds(NOW) + 30 * 86_400,
    jti: newSecret(),
    ...overrides,
  };
}

const policy = (jwks: JSONWebKeySet, now = NOW) => ({ issuer: ISSUER, jwks, now });
const reasonOf = (promise: Promise<unknown>) => promise.then(() => 'verified', (error: { reason?: string }) => error.reason);

describe('JWT-format keys', () => {
  it('name the key id, owner, grants and expiry, with their own type and the signing key id', async () => {
    const { signer, jwks } = await keyPair();
    const sent = claims();
    const jwt = await signKeyJwt(signer, sent);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', typ: KEY_JWT_TYPE, kid: signer.kid });
    expect(decodeJwt(jwt)).toEqual(sent);
    // Nothing an access-token verifier (or API Gateway's JWT authorizer) could take it by.
    expect(decodeJwt(jwt)).not.toHaveProperty('aud');
    expect(decodeJwt(jwt)).not.toHaveProperty('client_id');
    expect(decodeJwt(jwt)).not.toHaveProperty('scope');
    expect(isKeyJwt(jwt)).toBe(true);
    expect(await verifyKeyJwt(jwt, policy(jwks))).toEqual({ claims: sent, expired: false });
  });

  it('are told apart from access tokens by type, in both directions', async () => {
    const { signer, jwks } = await keyPair();
    const key = await signKeyJwt(signer, claims());
    const now = seconds(NOW);
    const token = await signAccessToken(signer, { iss: ISSUER, sub: 'siem', aud: 'urn:keygate:api', client_id: newKeyId(), iat: now, exp: now + 900, jti: randomUUID(), kg_sfp: 'x' });
    expect(isKeyJwt(token)).toBe(false);
    expect(await reasonOf(verifyKeyJwt(token, policy(jwks)))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await reasonOf(verifyAccessToken(key, { issuer: ISSUER, audience: 'urn:keygate:api', jwks, now: NOW }))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('refuse a forged signature, another issuer, an unknown signing key, alg none and an HMAC', async () => {
    const { signer, jwks } = await keyPair();
    const jwt = await signKeyJwt(signer, claims());
    const [header, payload] = jwt.split('.');
    const other = await keyPair();
    expect(await reasonOf(verifyKeyJwt(`${header}.${payload}.${(await signKeyJwt(other.signer, claims())).split('.')[2]}`, policy(jwks)))).toBe(
      'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
    // Same kid as keygate's, other key: refused by signature.
    expect(await reasonOf(verifyKeyJwt(await signKeyJwt({ ...other.signer, kid: signer.kid }, claims()), policy(jwks)))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    expect(await reasonOf(verifyKeyJwt(await signKeyJwt(signer, claims({ iss: 'https://evil.example.com' })), policy(jwks)))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    expect(await reasonOf(verifyKeyJwt(await signKeyJwt(other.signer, claims()), policy(jwks)))).toBe('ERR_JWKS_NO_MATCHING_KEY');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: KEY_JWT_TYPE })).toString('base64url')}.${payload}.`;
    expect(isKeyJwt(`${none}x`)).toBe(true);
    expect(await reasonOf(verifyKeyJwt(`${none}x`, policy(jwks)))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    const hmac = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: KEY_JWT_TYPE, kid: signer.kid }).sign(new TextEncoder().encode('x'.repeat(32)));
    expect(await reasonOf(verifyKeyJwt(hmac, policy(jwks)))).toBe('ERR_JOSE_ALG_NOT_ALLOWED');
    expect(await reasonOf(verifyKeyJwt(jwt, policy({ keys: [] })))).toBe('no signing key is published');
  });

  it('say when they expired, once the signature has verified', async () => {
    const { signer, jwks } = await keyPair();
    const sent = claims({ exp: seconds(NOW) + 60 });
    const jwt = await signKeyJwt(signer, sent);
    expect(await verifyKeyJwt(jwt, policy(jwks, new Date(NOW.getTime() + 60_000)))).toEqual({ claims: sent, expired: true });
    // An expired JWT that keygate did not sign is refused, not reported expired.
    const forged = await signKeyJwt((await keyPair()).signer, { ...sent });
    expect(await reasonOf(verifyKeyJwt(forged, policy(jwks, new Date(NOW.getTime() + 60_000))))).toBe('ERR_JWKS_NO_MATCHING_KEY');
  });

  it('refuse claims without the keygate shape, and strings longer than keygate issues', async () => {
    const { signer, jwks } = await keyPair();
    const { grants: _grants, ...noGrants } = claims();
    const shapeless = await new SignJWT(noGrants).setProtectedHeader({ alg: signer.alg, typ: KEY_JWT_TYPE, kid: signer.kid }).sign(signer.key);
    expect(await reasonOf(verifyKeyJwt(shapeless, policy(jwks)))).toBe('ERR_JWT_CLAIM_VALIDATION_FAILED');
    const badId = await signKeyJwt(signer, claims({ key_id: 'not-an-id' }));
    expect(await reasonOf(verifyKeyJwt(badId, policy(jwks)))).toBe('claims do not have the keygate shape');
    const long = `${(await signKeyJwt(signer, claims())).slice(0, 40)}${'A'.repeat(MAX_KEY_JWT_LENGTH)}`;
    expect(await reasonOf(verifyKeyJwt(long, policy(jwks)))).toBe('longer than any key keygate issues');
  });

  it('are recognized by their type as jose reads it, and nothing else is', async () => {
    const { signer } = await keyPair();
    const typed = (typ: string) => new SignJWT(claims()).setProtectedHeader({ alg: signer.alg, typ, kid: signer.kid }).sign(signer.key);
    expect(isKeyJwt(await typed('KG-KEY+JWT'))).toBe(true);
    expect(isKeyJwt(await typed('application/kg-key+jwt'))).toBe(true);
    expect(isKeyJwt(await typed('JWT'))).toBe(false);
    expect(isKeyJwt('kg_abc')).toBe(false);
    expect(isKeyJwt('eyJub3QganNvbg.eyJ9.x')).toBe(false);
  });

  it('are RS256 JWTs in an RS256 deployment', async () => {
    const { signer, jwks } = await keyPair('RS256');
    const jwt = await signKeyJwt(signer, claims());
    expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
    expect((await verifyKeyJwt(jwt, policy(jwks))).expired).toBe(false);
    expect(jwt.length).toBeLessThan(MAX_KEY_JWT_LENGTH);
    // An RS256 JWT keygate did not sign.
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: KEY_JWT_TYPE, kid: signer.kid }).sign(privateKey);
    expect(await reasonOf(verifyKeyJwt(forged, policy(jwks)))).toBe('ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });
});
