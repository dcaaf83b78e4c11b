import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mintAdminKey } from '../../../functions/bootstrap/admin-key.js';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import type { Deps } from '../../../functions/runtime/deps.js';
import { settingsFor } from '../../../functions/signing/token-settings.js';
import { parseKeySet, rotateKeySet, type SigningKeySet, SigningKeyRing } from '../../../functions/signing/signing-keys.js';
import { freshDeps, startGateway, testClock } from '../../support/dynamodb.js';
import { apiClient } from '../api-client.js';
import { basic, START } from '../../support/world.js';

/**
 * Right after the first deploy, before the first rotation wrote a key, the signing-key secret
 * holds a keyless placeholder. Then keygate says "not yet" (503 + Retry-After), never a 500, and
 * the empty JWKS is cacheable only briefly; once the key is written it is used within seconds.
 */
const settings = settingsFor(deploymentConfig.tokens);
let deps: Deps;
let clock: ReturnType<typeof testClock>;
let gateway: Awaited<ReturnType<typeof startGateway>>;
let api: ReturnType<typeof apiClient>;
let admin: string;
let stored: SigningKeySet;
let reads: number;

beforeEach(async () => {
  clock = testClock(START);
  deps = await freshDeps({ clock: clock.now });
  gateway = await startGateway(deps);
  api = apiClient(gateway.url);
  stored = parseKeySet('{"version":1,"keys":[],"placeholder":"Zr8yQ2pW"}', 'placeholder');
  reads = 0;
  const source = {
    load: async () => {
      reads += 1;
      return stored;
    },
  };
  deps.tokens = { issuer: gateway.url, keys: new SigningKeyRing(source, settings), settings };
  admin = (await mintAdminKey(deps)).key;
});

afterEach(() => gateway.close());

async function keyOf(format: 'key' | 'jwt') {
  return api('POST', '/v1/keys', { key: admin, body: { name: `k-${format}-${Math.random().toString(36).slice(2)}`, permissions: ['alerts:read'], expiresIn: 'P30D', format } });
}

async function token(id: string, key: string) {
  const response = await fetch(`${gateway.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(id, key) },
    body: 'grant_type=client_credentials',
  });
  return { status: response.status, headers: response.headers, json: await response.json() };
}

describe('before the first signing key exists', () => {
  it('/oauth/token answers 503 temporarily_unavailable with Retry-After, not a 500', async () => {
    const created = await keyOf('key');
    const answer = await token(created.json.id, created.json.key);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('10');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.json).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/no active token signing key yet/) });
  });

  it('creating a JWT-format key answers 503 unavailable with Retry-After', async () => {
    const created = await keyOf('jwt');
    expect(created.status).toBe(503);
    expect(created.headers.get('retry-after')).toBe('10');
    expect(created.json.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/no active token signing key yet/) });
  });

  it('serves an empty JWKS that verifiers may cache for seconds only, not jwksMaxAge', async () => {
    for (const path of ['/.well-known/jwks.json', '/v1/keys/jwks.json']) {
      const response = await fetch(gateway.url + path);
      expect(await response.json()).toEqual({ keys: [] });
      expect(response.headers.get('cache-control')).toBe('public, max-age=10');
    }
  });

  it('uses the first key within seconds of its being written (a keyless set is not kept for the full cache time)', async () => {
    const created = await keyOf('key');
    expect((await token(created.json.id, created.json.key)).status).toBe(503);
    stored = (await rotateKeySet(stored, clock(), settings)).set;
    clock.advance(10_000);
    expect((await token(created.json.id, created.json.key)).status).toBe(200);
    const jwks = await fetch(`${gateway.url}/.well-known/jwks.json`);
    expect(((await jwks.json()) as { keys: unknown[] }).keys).toHaveLength(1);
    expect(jwks.headers.get('cache-control')).toBe(`public, max-age=${settings.jwksMaxAgeSeconds}`);
    expect(reads).toBe(2);
  });
});
