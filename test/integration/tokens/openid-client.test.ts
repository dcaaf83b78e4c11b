import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as client from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findKey } from '../../../functions/keys/key-store.js';
import { AUDIENCE, type CreatedKey, createKey, START, type KeygateWorld, keygateWorld } from '../../support/world.js';

/*
 * Conformance with a real OAuth client nobody here wrote: openid-client 6 discovers keygate from
 * its issuer URL and performs the client credentials grant with both client authentication
 * methods; jose then verifies the token the way a resource server would, fetching the JWKS.
 */
let world: KeygateWorld;
let key: CreatedKey;

beforeEach(async () => {
  world = await keygateWorld();
  key = await createKey(world, {
    owner: 'siem',
    roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    permissions: ['alerts:read', 'audit-log:read'],
    expiresIn: 'P30D',
  });
});

afterEach(async () => {
  await world.close();
});

async function discover(algorithm: 'oidc' | 'oauth2', auth: client.ClientAuth) {
  return client.discovery(new URL(world.url), key.id, undefined, auth, { algorithm, execute: [client.allowInsecureRequests] });
}

async function verify(accessToken: string) {
  const jwks = createRemoteJWKSet(new URL(`${world.url}/.well-known/jwks.json`));
  return jwtVerify(accessToken, jwks, { algorithms: ['ES256'], issuer: world.url, audience: AUDIENCE, typ: 'at+jwt', currentDate: world.clock() });
}

describe('openid-client against the local gateway', () => {
  it('discovers keygate from its issuer URL (OpenID-style) and gets a token by client_secret_basic', async () => {
    const config = await discover('oidc', client.ClientSecretBasic(key.key));
    expect(config.serverMetadata()).toMatchObject({
      issuer: world.url,
      token_endpoint: `${world.url}/oauth/token`,
      jwks_uri: `${world.url}/.well-known/jwks.json`,
      introspection_endpoint: `${world.url}/oauth/introspect`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });

    const tokens = await client.clientCredentialsGrant(config);
    expect(tokens.token_type).toBe('bearer'); // openid-client lower-cases it
    expect(tokens.expires_in).toBe(900);
    expect(tokens.scope).toBe('alerts:read audit-log:read');

    const { payload, protectedHeader } = await verify(tokens.access_token);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(payload).toMatchObject({
      iss: world.url,
      sub: 'siem',
      aud: AUDIENCE,
      client_id: key.id,
      iat: START.getTime() / 1000,
      exp: START.getTime() / 1000 + 900,
      scope: 'alerts:read audit-log:read',
      roles: [{ role: 'cloud-account-viewer', scope: ['acct-1'] }],
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('discovers keygate from RFC 8414 metadata and gets a token by client_secret_post', async () => {
    const config = await discover('oauth2', client.ClientSecretPost(key.key));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'alerts:read' });
    expect(tokens.scope).toBe('alerts:read');
    const { payload } = await verify(tokens.access_token);
    expect(payload).toMatchObject({ client_id: key.id, sub: 'siem', scope: 'alerts:read' });
    expect(payload.roles).toBeUndefined();
  });

  it('records the exchange as a use of the key', async () => {
    const config = await discover('oidc', client.ClientSecretBasic(key.key));
    await client.clientCredentialsGrant(config);
    expect((await findKey(world.deps, key.id))?.lastUsedAt).toBe(START.toISOString());
  });

  it('surfaces invalid_scope and invalid_client as RFC 6749 errors', async () => {
    const config = await discover('oidc', client.ClientSecretBasic(key.key));
    await expect(client.clientCredentialsGrant(config, { scope: 'alerts:write' })).rejects.toMatchObject({ error: 'invalid_scope', status: 400 });

    const other = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
    const wrong = await discover('oidc', client.ClientSecretBasic(other.key));
    // A 401 with a WWW-Authenticate challenge: openid-client reports the challenge, body unread.
    const refusal = await client.clientCredentialsGrant(wrong).then(
      () => expect.fail('the grant succeeded with another key\'s secret'),
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(client.WWWAuthenticateChallengeError);
    const challenge = refusal as client.WWWAuthenticateChallengeError;
    expect(challenge.status).toBe(401);
    expect(challenge.cause).toEqual([expect.objectContaining({ scheme: 'basic', parameters: { realm: 'keygate' } })]);
    expect(await challenge.response.json()).toMatchObject({ error: 'invalid_client' });
  });
});
