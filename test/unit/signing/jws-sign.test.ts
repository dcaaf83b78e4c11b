import { createPublicKey, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signJwt } from '../../../functions/signing/jws-sign.js';
import { generateSigningKey, publicJwk, SigningKeyRing } from '../../../functions/signing/signing-keys.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');

/** What keygate signs with one node:crypto call (functions/signing/jws-sign.ts), checked by jose, as every verifier of keygate's does. */
describe('one-shot JWS signing', () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)('signs %s JWTs that jose verifies with the published key, and only with it', async (alg) => {
    const key = await generateSigningKey(alg, NOW, new Date(0));
    const signer = await new SigningKeyRing({ load: async () => ({ version: 1, keys: [key] }) }, { keepPublishedMs: 0 }).signer(NOW);
    const claims = { iss: 'https://keygate.example.com', sub: 'siem', aud: 'urn:keygate:api', iat: 1, exp: 4_000_000_000, jti: randomUUID(), note: 'ünïcode' };
    const jwt = signJwt(signer, 'at+jwt', claims);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg, typ: 'at+jwt', kid: key.kid });
    const jwks = createLocalJWKSet({ keys: [publicJwk(key)] });
    const { payload, protectedHeader } = await jwtVerify(jwt, jwks, { algorithms: [alg], typ: 'at+jwt', issuer: claims.iss, audience: claims.aud });
    expect(payload).toEqual(claims);
    expect(protectedHeader.kid).toBe(key.kid);
    // A changed payload or a signature of another key does not verify.
    const [header, body, signature] = jwt.split('.') as [string, string, string];
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url')}.${signature}`;
    await expect(jwtVerify(tampered, jwks, { algorithms: [alg] })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    const other = await generateSigningKey(alg, NOW, new Date(0));
    const otherSigner = await new SigningKeyRing({ load: async () => ({ version: 1, keys: [other] }) }, { keepPublishedMs: 0 }).signer(NOW);
    const forged = `${header}.${body}.${signJwt(otherSigner, 'at+jwt', claims).split('.')[2]}`;
    await expect(jwtVerify(forged, jwks, { algorithms: [alg] })).rejects.toMatchObject({ code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    expect(await calculateJwkThumbprint(createPublicKey(signer.key).export({ format: 'jwk' }))).toBe(key.kid);
  });

  it('gives ES256 signatures as R || S (64 bytes), not DER, like jose', async () => {
    const key = await generateSigningKey('ES256', NOW, new Date(0));
    const signer = await new SigningKeyRing({ load: async () => ({ version: 1, keys: [key] }) }, { keepPublishedMs: 0 }).signer(NOW);
    const ours = signJwt(signer, 'at+jwt', { a: 1 });
    const joses = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid }).sign(signer.key);
    expect(Buffer.from(ours.split('.')[2] ?? '', 'base64url')).toHaveLength(64);
    // ECDSA signatures are randomized: the same header and payload, different signatures of the same size.
    expect(ours.split('.').slice(0, 2)).toEqual(joses.split('.').slice(0, 2));
    expect(Buffer.from(joses.split('.')[2] ?? '', 'base64url')).toHaveLength(64);
  });
});
