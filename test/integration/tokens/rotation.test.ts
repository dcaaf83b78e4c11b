import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localSigningKeyFile } from '../../../dev/local-tokens.js';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { tokenSettings } from '../../../functions/signing/token-settings.js';
import { type CreatedKey, createKey, START, type KeygateWorld, tokenFor, keygateWorld, verifyAsResourceServer } from '../../support/world.js';

/*
 * Rotation through the local gateway on a test clock: tokens are minted every minute before,
 * during and after a rotation, and resource servers that cache the JWKS exactly as long as its
 * Cache-Control allows (each starting at another moment) must verify every one of them for its
 * whole lifetime.
 */
const settings = tokenSettings(deploymentConfig.tokens);
const MINUTE = 60_000;

let world: KeygateWorld;
let key: CreatedKey;

beforeEach(async () => {
  world = await keygateWorld();
  key = await createKey(world, { owner: 'siem', permissions: ['alerts:read'] });
});

afterEach(async () => {
  await world.close();
});

/**
 * A resource server that fetches the JWKS and keeps it for max-age, never longer; or, with
 * `cache: false`, one that fetches it for every token (a freshly started one, each time).
 */
class CachingVerifier {
  private jwks: JSONWebKeySet | undefined;
  private fetchedAt = 0;
  private maxAgeMs = 0;
  fetches = 0;

  constructor(
    private readonly world: KeygateWorld,
    private readonly cache = true,
  ) {}

  private async keys(): Promise<JSONWebKeySet> {
    const now = this.world.clock().getTime();
    if (!this.jwks || now - this.fetchedAt >= this.maxAgeMs) {
      const response = await fetch(`${this.world.url}/.well-known/jwks.json`);
      this.maxAgeMs = this.cache ? Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]) * 1000 : 0;
      this.jwks = (await response.json()) as JSONWebKeySet;
      this.fetchedAt = now;
      this.fetches++;
    }
    return this.jwks;
  }

  async verify(token: string) {
    return verifyAsResourceServer(this.world, token, await this.keys());
  }
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const jwksKids = async () => ((await (await fetch(`${world.url}/.well-known/jwks.json`)).json()) as JSONWebKeySet).keys.map((k) => k.kid);

describe('signing-key rotation', () => {
  // Over a thousand verifications and a JWKS fetch for every token of the verifier that keeps no
  // cache: 13-18 s of CPU on a 2-core machine, too near the default 20 s limit.
  it('keeps every token in flight valid through the whole overlap, for verifiers caching the JWKS as allowed', { timeout: 60_000 }, async () => {
    const first = await tokenFor(world, key);
    const oldKid = kidOf(first);
    // Verifiers that first fetch the JWKS at different moments, some just before the rotation.
    const verifiers = [...Array.from({ length: 8 }, () => new CachingVerifier(world)), new CachingVerifier(world, false)];
    const startsAt = verifiers.map((_, i) => (i % 8) * 10 * MINUTE);

    const rotatedAt = 2 * MINUTE;
    const activatesAt = rotatedAt + settings.publishAheadMs;
    const end = activatesAt + settings.keepPublishedMs + 5 * MINUTE;
    const inFlight: { token: string; exp: number }[] = [];
    let newKid: string | undefined;
    let checked = 0;

    for (let t = 0; t <= end; t += MINUTE) {
      world.clock.set(new Date(START.getTime() + t));
      if (t === rotatedAt) newKid = (await localSigningKeyFile(world.keyFile, world.clock.now).rotate()).added.kid;

      const token = await tokenFor(world, key);
      expect(kidOf(token)).toBe(t < activatesAt ? oldKid : newKid);
      inFlight.push({ token, exp: START.getTime() + t + settings.lifetimeSeconds * 1000 });

      const now = world.clock().getTime();
      for (const [i, verifier] of verifiers.entries()) {
        if (now < START.getTime() + (startsAt[i] ?? 0)) continue;
        for (const { token: held } of inFlight.filter((f) => f.exp > now)) {
          await expect(verifier.verify(held), `verifier ${i} at +${t / MINUTE} min`).resolves.toBeDefined();
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(1000);
    // Each verifier did cache (it fetched about once per max-age), so the test did exercise stale caches.
    for (const verifier of verifiers.slice(0, 8)) expect(verifier.fetches).toBeLessThanOrEqual(Math.ceil(end / (settings.jwksMaxAgeSeconds * 1000)) + 1);
  });

  it('publishes the new key before it signs and drops the old one once its last token expired', async () => {
    const oldKid = kidOf(await tokenFor(world, key));
    const { added } = await localSigningKeyFile(world.keyFile, world.clock.now).rotate();
    const at = (ms: number) => world.clock.set(new Date(START.getTime() + ms));

    at(5 * MINUTE); // the gateway re-reads the key file within KEY_SET_CACHE_MS
    expect(await jwksKids()).toEqual([oldKid, added.kid]);
    expect(kidOf(await tokenFor(world, key))).toBe(oldKid);

    at(settings.publishAheadMs);
    expect(kidOf(await tokenFor(world, key))).toBe(added.kid);
    expect(await jwksKids()).toEqual([oldKid, added.kid]);

    at(settings.publishAheadMs + settings.keepPublishedMs + 5 * MINUTE);
    expect(await jwksKids()).toEqual([added.kid]);
  });

  it('serves the metadata with the same cache lifetime as the JWKS', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await fetch(world.url + path);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe(`public, max-age=${settings.jwksMaxAgeSeconds}`);
      expect(await response.json()).toMatchObject({ issuer: world.url, jwks_uri: `${world.url}/.well-known/jwks.json` });
    }
  });
});
