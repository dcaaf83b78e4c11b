import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import type { Deps } from '../../../functions/runtime/deps.js';
import { ACCESS_TOKEN_TYPE } from '../../../functions/tokens/access-token.js';
import { SigningKeyFile } from '../../../functions/signing/signing-key-file.js';
import { RSA_MODULUS_BITS, SigningKeyRing } from '../../../functions/signing/signing-keys.js';
import { API_GATEWAY_JWKS_CACHE_MS, tokenSettings } from '../../../functions/signing/token-settings.js';
import { freshDeps, startGateway, type TestClock, testClock } from '../../support/dynamodb.js';
import { apiClient } from '../api-client.js';
import { AUDIENCE, type CreatedKey, createKey, START, type KeygateWorld, tokenFor } from '../../support/world.js';

/**
 * A deployment with `tokens.algorithm: 'RS256'`, the one API Gateway's built-in JWT authorizer
 * for HTTP APIs can use: what that authorizer does (discovery document → jwks_uri → RSA key by
 * kid; iss, aud, exp; scopes) done with jose against the local gateway.
 */
const policy = { ...deploymentConfig.tokens, algorithm: 'RS256' as const };
const settings = tokenSettings(policy);

let world: KeygateWorld;
let keyFile: SigningKeyFile;
let key: CreatedKey;

beforeEach(async () => {
  const clock: TestClock = testClock(START);
  const deps: Deps = { ...(await freshDeps({ clock: clock.now })), config: { ...deploymentConfig, tokens: policy } };
  const gateway = await startGateway(deps);
  const dir = await mkdtemp(join(tmpdir(), 'keygate-rs256-'));
  keyFile = new SigningKeyFile(join(dir, 'signing-keys.json'), settings, clock.now);
  deps.tokens = { issuer: gateway.url, keys: new SigningKeyRing(keyFile, settings), settings };
  const admin = (await mintAdminKey(deps)).key;
  world = {
    deps,
    clock,
    url: gateway.url,
    api: apiClient(gateway.url),
    admin,
    keyFile: keyFile.path,
    close: async () => {
      await gateway.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
});

afterEach(async () => {
  await world.close();
});

/** What API Gateway's JWT authorizer checks, with jose: keys from the discovery document's jwks_uri. */
async function verifyAsApiGateway(token: string) {
  const discovery = (await (await fetch(`${world.url}/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  return jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: discovery.issuer, audience: AUDIENCE, currentDate: world.clock() });
}

describe('an RS256 deployment', () => {
  it('issues RS256 access tokens that verify with jose against the published JWKS', async () => {
    const token = await tokenFor(world, key);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', typ: ACCESS_TOKEN_TYPE });
    const { payload } = await verifyAsApiGateway(token);
    expect(payload).toMatchObject({ iss: world.url, aud: AUDIENCE, sub: 'siem', client_id: key.id, scope: 'alerts:read' });
    // A resource server pinning the RFC 9068 type as well.
    const jwks = createRemoteJWKSet(new URL(`${world.url}/.well-known/jwks.json`));
    await expect(jwtVerify(token, jwks, { algorithms: ['RS256'], issuer: world.url, audience: AUDIENCE, typ: ACCESS_TOKEN_TYPE, currentDate: world.clock() })).resolves.toBeDefined();
  });

  it('publishes 2048-bit RSA public keys, with no private member', async () => {
    const { keys } = (await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
    expect(keys).toHaveLength(1);
    const [jwk] = keys as [Record<string, string>];
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(Buffer.from(jwk.n ?? '', 'base64url').length * 8).toBeGreaterThanOrEqual(RSA_MODULUS_BITS);
  });

  it('signs JWT-format keys with RS256 too, which API Gateway’s checks refuse as tokens (no aud, no client_id)', async () => {
    const jwtKey = await createKey(world, { owner: 'siem', format: 'jwt', permissions: ['alerts:read'] });
    expect(decodeProtectedHeader(jwtKey.key)).toMatchObject({ alg: 'RS256', typ: 'kg-key+jwt' });
    expect(decodeJwt(jwtKey.key)).not.toHaveProperty('aud');
    expect(decodeJwt(jwtKey.key)).not.toHaveProperty('client_id');
    await expect(verifyAsApiGateway(jwtKey.key)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    expect((await world.api('GET', '/v1/catalog', { key: jwtKey.key })).status).toBe(200);
  });

  it('publishes a new key over two hours before it signs: longer than API Gateway may cache the JWKS', async () => {
    const before = decodeProtectedHeader(await tokenFor(world, key)).kid;
    const { added } = await keyFile.rotate();
    expect(settings.publishAheadMs).toBeGreaterThan(API_GATEWAY_JWKS_CACHE_MS);
    world.clock.advance(API_GATEWAY_JWKS_CACHE_MS);
    // API Gateway's copy, fetched at any moment since the rotation, already has the new key...
    const { keys } = (await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(keys.map((k) => k.kid)).toEqual([before, added.kid]);
    // ...and nothing is signed with it yet.
    expect(decodeProtectedHeader(await tokenFor(world, key)).kid).toBe(before);
    world.clock.set(new Date(START.getTime() + settings.publishAheadMs));
    const token = await tokenFor(world, key);
    expect(decodeProtectedHeader(token).kid).toBe(added.kid);
    expect((await verifyAsApiGateway(token)).payload.client_id).toBe(key.id);
  });
});
