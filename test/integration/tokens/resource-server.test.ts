import { base64url, createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, generateKeyPair, type JSONWebKeySet, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, type CreatedKey, createKey, fetchJwks, introspect, type KeygateWorld, tokenFor, keygateWorld, verifyAsResourceServer } from '../../support/world.js';

/*
 * A resource server verifying keygate tokens offline with jose: algorithm, issuer, audience and
 * typ pinned, keys from the JWKS. Every forged or stale token is refused, and introspection
 * says active:false for each of them too.
 */
let world: KeygateWorld;
let key: CreatedKey;
let jwks: JSONWebKeySet;
let token: string;

beforeEach(async () => {
  world = await keygateWorld();
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
  token = await tokenFor(world, key);
  jwks = await fetchJwks(world);
});

afterEach(async () => {
  await world.close();
});

/** Signs `claims` with keygate's real signing key: only the pinned checks can refuse these. */
async function signWithKeygateKey(claims: Record<string, unknown>, header: Record<string, unknown> = {}) {
  const signer = await world.deps.tokens!.keys.signer(world.clock());
  return new SignJWT(claims).setProtectedHeader({ alg: signer.alg, typ: 'at+jwt', kid: signer.kid, ...header }).sign(signer.key);
}

async function expectRefused(forged: string, error: new (...args: never[]) => Error) {
  await expect(verifyAsResourceServer(world, forged, jwks)).rejects.toBeInstanceOf(error);
  const response = await introspect(world, forged);
  expect(response.status).toBe(200);
  expect(response.json).toEqual({ active: false });
}

describe('a resource server verifying with jose', () => {
  it('accepts a keygate token, and the JWKS is cacheable for jwksMaxAge', async () => {
    const { payload } = await verifyAsResourceServer(world, token, jwks);
    expect(payload).toMatchObject({ iss: world.url, aud: AUDIENCE, sub: 'siem', client_id: key.id, scope: 'alerts:read' });
    const response = await fetch(`${world.url}/.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=3600');
    expect(jwks.keys).toEqual([expect.objectContaining({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: decodeProtectedHeader(token).kid })]);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
  });

  it('refuses a tampered token', async () => {
    const [header, , signature] = token.split('.');
    const payload = { ...decodeJwt(token), scope: 'alerts:read alerts:write' };
    await expectRefused(`${header}.${base64url.encode(JSON.stringify(payload))}.${signature}`, errors.JWSSignatureVerificationFailed);
  });

  it('refuses an expired token', async () => {
    world.clock.advance(15 * 60_000);
    await expectRefused(token, errors.JWTExpired);
  });

  it('refuses alg: none', async () => {
    const unsigned = new UnsecuredJWT(decodeJwt(token)).encode();
    await expectRefused(unsigned, errors.JOSEAlgNotAllowed);
  });

  it('refuses a token signed with another key, even under keygate kid', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const kid = decodeProtectedHeader(token).kid;
    const forged = await new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(privateKey);
    await expectRefused(forged, errors.JWSSignatureVerificationFailed);
    const unknownKid = await new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'someone-else' }).sign(privateKey);
    await expectRefused(unknownKid, errors.JWKSNoMatchingKey);
  });

  it('refuses HS256 keyed with the published public key (algorithm confusion)', async () => {
    const publicKey = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const forged = await new SignJWT(decodeJwt(token)).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: decodeProtectedHeader(token).kid }).sign(publicKey);
    await expectRefused(forged, errors.JOSEAlgNotAllowed);
  });

  it('refuses a token for another audience, from another issuer, or of another type', async () => {
    const claims = decodeJwt(token);
    await expectRefused(await signWithKeygateKey({ ...claims, aud: 'urn:other:api' }), errors.JWTClaimValidationFailed);
    await expectRefused(await signWithKeygateKey({ ...claims, iss: 'https://evil.example' }), errors.JWTClaimValidationFailed);
    await expectRefused(await signWithKeygateKey(claims, { typ: 'JWT' }), errors.JWTClaimValidationFailed);
  });

  it('the pinned check is what refuses them: the wrong-audience token verifies when the audience is not pinned', async () => {
    const forged = await signWithKeygateKey({ ...decodeJwt(token), aud: 'urn:other:api' });
    await expect(jwtVerify(forged, createLocalJWKSet(jwks), { currentDate: world.clock() })).resolves.toBeDefined();
  });
});
