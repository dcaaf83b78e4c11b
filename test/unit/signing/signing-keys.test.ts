import { describe, expect, it } from 'vitest';
import { deploymentConfig } from '../../../functions/deployment-config.js';
import { addDuration } from '../../../functions/shared/durations.js';
import {
  emptyKeySet,
  generateSigningKey,
  keyVerificationKeysAt,
  parseKeySet,
  publicJwk,
  publishedKeysAt,
  RSA_MODULUS_BITS,
  rotateKeySet,
  serializeKeySet,
  type SigningKeySet,
  SigningKeyRing,
  signingKeyAt,
} from '../../../functions/signing/signing-keys.js';
import { API_GATEWAY_JWKS_CACHE_MS, KEY_SET_CACHE_MS, tokenSettings, VERIFIER_CLOCK_SKEW_MS } from '../../../functions/signing/token-settings.js';

const settings = tokenSettings(deploymentConfig.tokens);
const T0 = new Date('2026-11-23T12:00:00.000Z');
const MINUTE = 60_000;
const at = (ms: number) => new Date(T0.getTime() + ms);
const kids = (set: SigningKeySet, now: Date) => publishedKeysAt(set, now, settings).map((k) => k.kid);

describe('token settings', () => {
  it('publish a new key long enough before it signs for every cache to have seen it', () => {
    expect(settings.lifetimeSeconds).toBe(15 * 60);
    expect(settings.jwksMaxAgeSeconds).toBe(3600);
    expect(settings.publishAheadMs).toBeGreaterThanOrEqual(KEY_SET_CACHE_MS + settings.jwksMaxAgeSeconds * 1000);
    expect(settings.keepPublishedMs).toBeGreaterThan(settings.lifetimeSeconds * 1000);
  });

  it.each([
    [{ lifetime: 'PT30S' }, /between PT1M and PT24H/],
    [{ lifetime: 'P2D' }, /between PT1M and PT24H/],
    [{ lifetime: 'fifteen minutes' }, /ISO 8601/],
    [{ jwksMaxAge: 'PT0S' }, /positive/],
    [{ rotationInterval: 'PT1H' }, /must be longer than/],
    [{ audience: ' ' }, /audience/],
  ])('refuse an unworkable policy %j', (change, message) => {
    expect(() => tokenSettings({ ...deploymentConfig.tokens, ...change })).toThrow(message);
  });
});

describe('signing-key rotation', () => {
  it('makes the first key sign from the start: no verifier can hold a token yet, and a request begun a moment earlier finds it', async () => {
    const { set, added, removed } = await rotateKeySet(emptyKeySet(), T0, settings);
    expect(added.activatesAt).toBe(new Date(0).toISOString());
    expect(added.createdAt).toBe(T0.toISOString());
    expect(signingKeyAt(set, at(-1000))?.kid).toBe(added.kid);
    expect(removed).toEqual([]);
    expect(signingKeyAt(set, T0)?.kid).toBe(added.kid);
    expect(kids(set, T0)).toEqual([added.kid]);
  });

  it('publishes a new key publishAhead before it signs, and keeps the old one until its last token expired', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const rotatedAt = at(30 * 24 * 60 * MINUTE);
    const second = await rotateKeySet(first.set, rotatedAt, settings);
    const oldKid = first.added.kid;
    const newKid = second.added.kid;
    const activation = rotatedAt.getTime() + settings.publishAheadMs;
    const lastOldToken = activation - 1000; // minted with the old key one second before the switch

    // Published at once, signing only from its activation on.
    expect(kids(second.set, rotatedAt)).toEqual([oldKid, newKid]);
    expect(signingKeyAt(second.set, rotatedAt)?.kid).toBe(oldKid);
    expect(signingKeyAt(second.set, new Date(activation - 1))?.kid).toBe(oldKid);
    expect(signingKeyAt(second.set, new Date(activation))?.kid).toBe(newKid);

    // The old key is published for as long as a token it signed can be valid (plus clock skew).
    const lastExpiry = lastOldToken + settings.lifetimeSeconds * 1000;
    expect(kids(second.set, new Date(lastExpiry))).toContain(oldKid);
    expect(kids(second.set, new Date(activation + settings.keepPublishedMs - 1))).toContain(oldKid);
    expect(kids(second.set, new Date(activation + settings.keepPublishedMs))).toEqual([newKid]);
  });

  it('drops from the document only the keys no token can need any more', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const second = await rotateKeySet(first.set, at(MINUTE), settings);
    const activation = MINUTE + settings.publishAheadMs;
    // Too early: the first key may still have tokens in flight.
    const early = await rotateKeySet(second.set, at(activation + settings.keepPublishedMs - 1), settings);
    expect(early.removed).toEqual([]);
    expect(early.set.keys.map((k) => k.kid)).toEqual([first.added.kid, second.added.kid, early.added.kid]);
    const late = await rotateKeySet(second.set, at(activation + settings.keepPublishedMs), settings);
    expect(late.removed).toEqual([first.added.kid]);
    expect(late.set.keys.map((k) => k.kid)).toEqual([second.added.kid, late.added.kid]);
  });

  it('never publishes the private half', async () => {
    const key = await generateSigningKey('ES256', T0, T0);
    const jwk = publicJwk(key);
    expect(jwk).toEqual({ kty: 'EC', crv: 'P-256', x: (key.privateJwk as { x: string }).x, y: (key.privateJwk as { y: string }).y, kid: key.kid, alg: 'ES256', use: 'sig' });
    expect(JSON.stringify(jwk)).not.toContain(key.privateJwk.d);
  });

  it('makes EdDSA keys too', async () => {
    const key = await generateSigningKey('EdDSA', T0, T0);
    expect(publicJwk(key)).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA' });
  });

  it('round-trips a stored document and refuses a malformed one without quoting it', async () => {
    const { set } = await rotateKeySet(emptyKeySet(), T0, settings);
    expect(parseKeySet(serializeKeySet(set), 'test')).toEqual(set);
    const leaked = JSON.stringify({ version: 1, keys: [{ ...set.keys[0], alg: 'HS256' }] });
    expect(() => parseKeySet(leaked, 'the file')).toThrow(/the file is not a keygate signing-key set/);
    expect(() => parseKeySet(leaked, 'the file')).not.toThrow(set.keys[0]?.privateJwk.d ?? 'x');
    // The AWS secret starts as a placeholder with an extra member.
    expect(parseKeySet('{"version":1,"keys":[],"placeholder":"x"}', 'secret')).toEqual(emptyKeySet());
  });
});

describe('SigningKeyRing', () => {
  it('re-reads the key set only after KEY_SET_CACHE_MS of the injected clock', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    let stored = first.set;
    let loads = 0;
    const ring = new SigningKeyRing({ load: async () => (loads++, stored) }, settings);
    expect((await ring.signer(T0)).kid).toBe(first.added.kid);
    stored = (await rotateKeySet(stored, T0, settings)).set;
    expect((await ring.jwks(at(KEY_SET_CACHE_MS - 1))).keys).toHaveLength(1);
    expect(loads).toBe(1);
    expect((await ring.jwks(at(KEY_SET_CACHE_MS))).keys).toHaveLength(2);
    expect(loads).toBe(2);
  });

  it('hands out one JWKS object while the published keys stay the same, and the exact keys at every instant', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const second = await rotateKeySet(first.set, at(30 * 24 * 60 * MINUTE), settings);
    // The first key leaves the JWKS keepPublished after the second starts signing.
    const leaves = new Date(second.added.activatesAt).getTime() + settings.keepPublishedMs;
    const ring = new SigningKeyRing({ load: async () => second.set }, settings);
    const before = await ring.jwks(new Date(leaves - 2));
    expect(await ring.jwks(new Date(leaves - 1))).toBe(before);
    expect(before.keys.map((k) => k.kid)).toEqual([first.added.kid, second.added.kid]);
    const after = await ring.jwks(new Date(leaves));
    expect(after.keys.map((k) => k.kid)).toEqual([second.added.kid]);
    // Any order of instants (an injected clock may go back) gives what publishedKeysAt says.
    const instants = [leaves + 5 * MINUTE, leaves - 1, T0.getTime(), leaves, new Date(second.added.activatesAt).getTime() - 1, leaves + 1, leaves - KEY_SET_CACHE_MS];
    for (const instant of instants) {
      expect((await ring.jwks(new Date(instant))).keys.map((k) => k.kid), new Date(instant).toISOString()).toEqual(kids(second.set, new Date(instant)));
    }
  });

  it('says what to do when no key signs yet', async () => {
    const ring = new SigningKeyRing({ load: async () => emptyKeySet() }, settings);
    await expect(ring.signer(T0)).rejects.toThrow(/npm run keys:rotate/);
  });

  it('tries the source again after a failed load', async () => {
    const { set } = await rotateKeySet(emptyKeySet(), T0, settings);
    let fail = true;
    const ring = new SigningKeyRing({ load: async () => (fail ? Promise.reject(new Error('throttled')) : set) }, settings);
    await expect(ring.signer(T0)).rejects.toThrow('throttled');
    fail = false;
    expect((await ring.signer(T0)).kid).toBe(set.keys[0]?.kid);
  });
});

describe('retired keys (JWT-format keys outlive tokens)', () => {
  const DAY = 86_400_000;
  const rotation = 30 * DAY;

  it('keep a dropped key’s public half, never its private half, until every JWT-format key it signed has expired', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const second = await rotateKeySet(first.set, at(rotation), settings);
    const supersededAt = at(rotation + settings.publishAheadMs);
    const third = await rotateKeySet(second.set, at(2 * rotation), settings);

    expect(third.removed).toEqual([first.added.kid]);
    expect(third.set.keys.map((k) => k.kid)).toEqual([second.added.kid, third.added.kid]);
    const verifyUntil = new Date(addDuration(supersededAt, deploymentConfig.policy.maxLifetime).getTime() + VERIFIER_CLOCK_SKEW_MS);
    expect(third.set.retired).toEqual([
      { kid: first.added.kid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) }, supersededAt: supersededAt.toISOString(), verifyUntil: verifyUntil.toISOString() },
    ]);
    expect(serializeKeySet(third.set)).not.toContain(first.added.privateJwk.d);
    expect(parseKeySet(serializeKeySet(third.set), 'test')).toEqual(third.set);

    // Gone from the access-token JWKS, still there to verify JWT-format keys.
    expect(kids(third.set, at(2 * rotation))).not.toContain(first.added.kid);
    expect(keyVerificationKeysAt(third.set, at(2 * rotation)).map((k) => k.kid)).toEqual([second.added.kid, third.added.kid, first.added.kid]);
    expect(keyVerificationKeysAt(third.set, new Date(verifyUntil.getTime() - 1)).map((k) => k.kid)).toContain(first.added.kid);
    expect(keyVerificationKeysAt(third.set, verifyUntil).map((k) => k.kid)).not.toContain(first.added.kid);

    // A rotation before verifyUntil keeps it; the first one after forgets it.
    const kept = await rotateKeySet(third.set, new Date(verifyUntil.getTime() - 1), settings);
    expect(kept.set.retired?.map((r) => r.kid)).toContain(first.added.kid);
    expect(kept.forgotten).toEqual([]);
    const gone = await rotateKeySet(third.set, verifyUntil, settings);
    expect(gone.set.retired?.map((r) => r.kid) ?? []).not.toContain(first.added.kid);
    expect(gone.forgotten).toEqual([first.added.kid]);
  });

  it('retire for the key policy’s max lifetime the settings were made with', async () => {
    const short = tokenSettings(deploymentConfig.tokens, { maxLifetime: 'P30D' });
    const first = await rotateKeySet(emptyKeySet(), T0, short);
    const second = await rotateKeySet(first.set, at(MINUTE), short);
    const third = await rotateKeySet(second.set, at(MINUTE + short.publishAheadMs + short.keepPublishedMs), short);
    expect(third.set.retired?.[0]?.verifyUntil).toBe(new Date(addDuration(at(MINUTE + short.publishAheadMs), 'P30D').getTime() + VERIFIER_CLOCK_SKEW_MS).toISOString());
  });

  it('are served by the ring apart from the token JWKS', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const second = await rotateKeySet(first.set, at(MINUTE), settings);
    const third = await rotateKeySet(second.set, at(MINUTE + settings.publishAheadMs + settings.keepPublishedMs), settings);
    const ring = new SigningKeyRing({ load: async () => third.set }, settings);
    const now = at(MINUTE + settings.publishAheadMs + settings.keepPublishedMs);
    expect((await ring.jwks(now)).keys.map((k) => k.kid)).toEqual([second.added.kid, third.added.kid]);
    const verification = await ring.keyVerificationJwks(now);
    expect(verification.keys.map((k) => k.kid)).toEqual([second.added.kid, third.added.kid, first.added.kid]);
    expect(verification.keys[2]).toEqual({ ...publicJwk(first.added), use: 'sig' });
    expect(JSON.stringify(verification)).not.toMatch(/"d":/);
  });
});

describe('RS256', () => {
  const rsa = tokenSettings({ ...deploymentConfig.tokens, algorithm: 'RS256' });

  it('makes 2048-bit RSA keys whose published half has n and e only', async () => {
    const key = await generateSigningKey('RS256', T0, T0);
    const jwk = publicJwk(key);
    expect(Object.keys(jwk).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(Buffer.from(jwk.n ?? '', 'base64url').length * 8).toBe(RSA_MODULUS_BITS);
    const secretMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi'].map((m) => (key.privateJwk as Record<string, string>)[m]);
    for (const secret of secretMembers) {
      expect(secret).toBeTruthy();
      expect(JSON.stringify(jwk)).not.toContain(secret);
    }
  });

  it('refuses a stored RSA key shorter than 2048 bits', async () => {
    const key = await generateSigningKey('RS256', T0, T0);
    const short = { ...key, privateJwk: { ...key.privateJwk, n: Buffer.alloc(128, 1).toString('base64url') } };
    expect(() => parseKeySet(JSON.stringify({ version: 1, keys: [short] }), 'the file')).toThrow(/at least 2048 bits/);
  });

  it('publishes a new key long enough ahead for API Gateway’s two-hour JWKS cache; other algorithms keep jwksMaxAge', () => {
    expect(rsa.verifierCacheMs).toBe(API_GATEWAY_JWKS_CACHE_MS);
    expect(rsa.publishAheadMs).toBeGreaterThanOrEqual(KEY_SET_CACHE_MS + API_GATEWAY_JWKS_CACHE_MS);
    expect(rsa.jwksMaxAgeSeconds).toBe(settings.jwksMaxAgeSeconds);
    expect(settings.verifierCacheMs).toBe(settings.jwksMaxAgeSeconds * 1000);
    expect(tokenSettings({ ...deploymentConfig.tokens, algorithm: 'RS256', jwksMaxAge: 'PT3H' }).verifierCacheMs).toBe(3 * 3_600_000);
  });

  it('rotates from ES256 to RS256 keeping both verifiable', async () => {
    const first = await rotateKeySet(emptyKeySet(), T0, settings);
    const second = await rotateKeySet(first.set, at(MINUTE), rsa);
    expect(second.set.keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    expect(signingKeyAt(second.set, at(MINUTE + rsa.publishAheadMs))?.alg).toBe('RS256');
  });
});
