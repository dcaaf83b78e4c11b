import { createPrivateKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import * as z from 'zod';
import { signingAlgorithms } from './signing-algorithms.js';
import { addDuration } from '../shared/durations.js';
import { UnavailableError } from '../shared/errors.js';
import { onFirstUse } from '../shared/on-first-use.js';
import { KEY_SET_CACHE_MS, type TokenSettings, VERIFIER_CLOCK_SKEW_MS } from './token-settings.js';

/**
 * Token signing keys. All of them live in one document (a Secrets Manager secret on AWS, a 0600
 * file locally), so a rotation is one atomic write and readers never see half of one.
 *
 * Each key has an activation time. Invariants the rotation keeps (see token-settings.ts):
 * - the key that signs at `now` is the one activated last at or before `now`;
 * - a key is published from the moment it is written (before it activates, by publishAhead);
 * - a key stays published until keepPublished after its successor activated (every token it
 *   signed has expired by then), and is then dropped from the JWKS and, at the next rotation,
 *   from the document.
 * Because activation is a time written in advance, every process switches to a new key at the
 * same instant without coordination, and a process whose cached copy predates the rotation still
 * signs with a key that is published.
 *
 * JWT-format keys (functions/keys/key-jwt.ts) are signed with the same keys but live far longer
 * than a token: up to the key policy's maxLifetime. So a key leaving the document is not
 * forgotten: its public half moves to `retired`, and stays there until every JWT-format key it
 * can have signed has expired (superseded + maxLifetime + clock skew; see retire()). Only its
 * private half is destroyed. Retired keys are never in the access-token JWKS: a token verifier
 * trusts a key only while its tokens live, so a leaked old private key cannot mint tokens. They
 * are published separately (keyVerificationJwks), for verifying JWT-format keys, where the
 * signature only filters before the table read: the stored hash of the whole JWT decides.
 */
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

/** RS256 keys are RSA keys of this many bits (the minimum RFC 7518 §3.3 and jose accept). */
export const RSA_MODULUS_BITS = 2048;

/** Built on first use: only the functions that read or write the signing keys parse with them. */
const schemas = onFirstUse(() => {
  const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
  const rsaModulus = b64url.refine(
    (n) => Buffer.from(n, 'base64url').length * 8 >= RSA_MODULUS_BITS,
    `RSA keys must have at least ${RSA_MODULUS_BITS} bits`,
  );
  const privateJwkSchema = z.discriminatedUnion('kty', [
    z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url, d: b64url }),
    z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url, d: b64url }),
    z.strictObject({ kty: z.literal('RSA'), n: rsaModulus, e: b64url, d: b64url, p: b64url, q: b64url, dp: b64url, dq: b64url, qi: b64url }),
  ]);
  const publicJwkSchema = z.discriminatedUnion('kty', [
    z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url }),
    z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url }),
    z.strictObject({ kty: z.literal('RSA'), n: rsaModulus, e: b64url }),
  ]);

  const signingKeySchema = z.strictObject({
    kid: z.string().min(1),
    alg: z.enum(signingAlgorithms),
    createdAt: z.iso.datetime(),
    activatesAt: z.iso.datetime(),
    privateJwk: privateJwkSchema,
  });

  /** A key that no longer signs and whose private half is gone: kept to verify JWT-format keys. */
  const retiredKeySchema = z.strictObject({
    kid: z.string().min(1),
    alg: z.enum(signingAlgorithms),
    publicJwk: publicJwkSchema,
    supersededAt: z.iso.datetime(),
    /** After this, no JWT-format key it signed can be valid: it is dropped at the next rotation. */
    verifyUntil: z.iso.datetime(),
  });

  /** Unknown top-level members are dropped: the AWS secret starts as a placeholder with one. */
  const signingKeySetSchema = z.object({
    version: z.literal(1),
    keys: z.array(signingKeySchema),
    /** Absent in documents written before JWT-format keys, and while nothing has retired. */
    retired: z.array(retiredKeySchema).optional(),
  });
  return { privateJwkSchema, publicJwkSchema, signingKeySchema, retiredKeySchema, signingKeySetSchema };
});
type Schemas = ReturnType<typeof schemas>;

export type SigningKey = z.infer<Schemas['signingKeySchema']>;
export type RetiredKey = z.infer<Schemas['retiredKeySchema']>;
export type SigningKeySet = z.infer<Schemas['signingKeySetSchema']>;

export const emptyKeySet = (): SigningKeySet => ({ version: 1, keys: [] });

/** Parses a stored document; the message never quotes the document (it holds private keys). */
export function parseKeySet(text: string, where: string): SigningKeySet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  const parsed = schemas().signingKeySetSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${where} is not a keygate signing-key set: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  return keySet(parsed.data.keys, parsed.data.retired ?? []);
}

function keySet(keys: SigningKey[], retired: RetiredKey[]): SigningKeySet {
  return { version: 1, keys: sortByActivation(keys), ...(retired.length > 0 ? { retired } : {}) };
}

export function serializeKeySet(set: SigningKeySet): string {
  return `${JSON.stringify(set, null, 2)}\n`;
}

/** ISO timestamps in code-unit order, as signingKeyAt compares them (localeCompare would build an ICU collator on a cold start). */
const isoOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortByActivation(keys: SigningKey[]): SigningKey[] {
  return [...keys].sort((a, b) => isoOrder(a.activatesAt, b.activatesAt) || isoOrder(a.createdAt, b.createdAt));
}

export async function generateSigningKey(alg: SigningAlgorithm, createdAt: Date, activatesAt: Date): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(alg === 'RS256' ? { modulusLength: RSA_MODULUS_BITS } : {}) });
  const privateJwk = schemas().privateJwkSchema.parse(await exportJWK(privateKey));
  return {
    // RFC 7638 thumbprint of the public key: stable, unique, and says nothing secret.
    kid: await calculateJwkThumbprint(publicPart(privateJwk)),
    alg,
    createdAt: createdAt.toISOString(),
    activatesAt: activatesAt.toISOString(),
    privateJwk,
  };
}

/** The public members, picked one by one: an RSA private JWK has more private members than `d`. */
function publicPart(jwk: SigningKey['privateJwk']): z.infer<Schemas['publicJwkSchema']> {
  switch (jwk.kty) {
    case 'EC':
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    case 'OKP':
      return { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    case 'RSA':
      return { kty: jwk.kty, n: jwk.n, e: jwk.e };
  }
}

export function publicJwk(key: SigningKey | RetiredKey): JWK {
  const material = 'privateJwk' in key ? publicPart(key.privateJwk) : key.publicJwk;
  return { ...material, kid: key.kid, alg: key.alg, use: 'sig' };
}

export interface KeyTimeline {
  key: SigningKey;
  /** When the next key took over signing; undefined while this one is the newest. */
  supersededAt?: Date;
  /** When it leaves the JWKS; undefined while it may still sign. */
  unpublishAt?: Date;
}

export function keyTimeline(set: SigningKeySet, settings: Pick<TokenSettings, 'keepPublishedMs'>): KeyTimeline[] {
  const keys = sortByActivation(set.keys);
  return keys.map((key, i) => {
    const successor = keys.slice(i + 1).find((k) => k.activatesAt > key.activatesAt);
    if (!successor) return { key };
    const supersededAt = new Date(successor.activatesAt);
    return { key, supersededAt, unpublishAt: new Date(supersededAt.getTime() + settings.keepPublishedMs) };
  });
}

/** The key that signs at `now`: the one activated last. */
export function signingKeyAt(set: SigningKeySet, now: Date): SigningKey | undefined {
  const nowIso = now.toISOString();
  return sortByActivation(set.keys).filter((k) => k.activatesAt <= nowIso).at(-1);
}

/** What the JWKS shows at `now`: keys about to sign, the signing one, and retired ones still in use. */
export function publishedKeysAt(set: SigningKeySet, now: Date, settings: Pick<TokenSettings, 'keepPublishedMs'>): SigningKey[] {
  return keyTimeline(set, settings)
    .filter((t) => t.unpublishAt === undefined || t.unpublishAt > now)
    .map((t) => t.key);
}

/**
 * What verifies JWT-format keys at `now`: every key of the document (about to sign, signing, or
 * retired from tokens but not yet dropped) and the retired public halves still needed.
 */
export function keyVerificationKeysAt(set: SigningKeySet, now: Date): (SigningKey | RetiredKey)[] {
  const nowIso = now.toISOString();
  return [...set.keys, ...(set.retired ?? []).filter((r) => r.verifyUntil > nowIso)];
}

export interface Rotation {
  set: SigningKeySet;
  added: SigningKey;
  /** Kids whose private half was dropped: no token they signed can still be valid (their public half is retired). */
  removed: string[];
  /** Retired kids dropped for good: no JWT-format key they signed can still be valid. */
  forgotten: string[];
}

/**
 * When nothing signs yet, the new key signs "from the start": no token exists that a verifier
 * could hold, and a request that began a moment before the key was written (its clock reading
 * is earlier than the key's creation) must still find it.
 */
export const FROM_THE_START = new Date(0);

/** The first key of a deployment (see FROM_THE_START). */
export function isFirstKey(key: SigningKey): boolean {
  return key.activatesAt === FROM_THE_START.toISOString();
}

/**
 * A key leaving the document keeps its public half until the last JWT-format key it can have
 * signed expires. It signed only before `supersededAt` (every process has read its successor by
 * then: successors are published publishAhead > KEY_SET_CACHE_MS early), and no key outlives its
 * creation by more than maxLifetime, whose bound is calendar arithmetic, like resolveExpiry's.
 * Lowering maxLifetime later shortens this for keys retired after the change only.
 */
function retire(timeline: KeyTimeline & { supersededAt: Date }, settings: Pick<TokenSettings, 'keyMaxLifetime'>): RetiredKey {
  const { key, supersededAt } = timeline;
  const verifyUntil = new Date(addDuration(supersededAt, settings.keyMaxLifetime).getTime() + VERIFIER_CLOCK_SKEW_MS);
  return { kid: key.kid, alg: key.alg, publicJwk: publicPart(key.privateJwk), supersededAt: supersededAt.toISOString(), verifyUntil: verifyUntil.toISOString() };
}

/**
 * Adds a new key that activates publishAhead from now (from the start when nothing signs yet),
 * retires keys whose last token has expired (private half dropped, public half kept) and
 * forgets retired keys whose last JWT-format key has expired.
 */
export async function rotateKeySet(set: SigningKeySet, now: Date, settings: TokenSettings): Promise<Rotation> {
  const timeline = keyTimeline(set, settings);
  const kept = timeline.filter((t) => t.unpublishAt === undefined || t.unpublishAt > now).map((t) => t.key);
  const leaving = timeline.filter((t): t is KeyTimeline & { supersededAt: Date } => !kept.includes(t.key) && t.supersededAt !== undefined);
  const stillNeeded = (set.retired ?? []).filter((r) => r.verifyUntil > now.toISOString());
  const forgotten = (set.retired ?? []).filter((r) => !stillNeeded.includes(r)).map((r) => r.kid);
  const activatesAt = signingKeyAt(set, now) === undefined ? FROM_THE_START : new Date(now.getTime() + settings.publishAheadMs);
  const added = await generateSigningKey(settings.algorithm, now, activatesAt);
  const retired = [...stillNeeded, ...leaving.map((t) => retire(t, settings))];
  return { set: keySet([...kept, added], retired), added, removed: leaving.map((t) => t.key.kid), forgotten };
}

/** Where a process reads the signing keys from. */
export interface SigningKeySource {
  load(): Promise<SigningKeySet>;
}

/**
 * No key signs yet (the first rotation has not written one): a 503 with Retry-After, since it
 * passes without the caller doing anything (on AWS the deploy itself waits for the first key).
 */
export class NoSigningKeyError extends UnavailableError {
  constructor() {
    super('there is no active token signing key yet: run the signing-key rotation once (npm run keys:rotate, or rotate the secret on AWS)', KEYLESS_RELOAD_MS / 1000);
    this.name = 'NoSigningKeyError';
  }
}

/** A key set with no signing key is re-read this often (not every KEY_SET_CACHE_MS): the first key is seen soon after it is written. */
export const KEYLESS_RELOAD_MS = 10_000;

/** The key that signs now, imported once as a node:crypto KeyObject (jws-sign.ts signs with it; jose accepts it too). */
export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  key: KeyObject;
}

interface Loaded {
  set: SigningKeySet;
  loadedAt: number;
}

/**
 * The JWKS of one key set for an interval of time: what publishedKeysAt shows depends only on
 * the set and on which unpublishAt instants lie at or before `now`, so it is the same from the
 * last of them at or before `now` (from) to the first one after it (until, exclusive).
 */
interface PublishedJwks {
  set: SigningKeySet;
  from: number;
  until: number;
  jwks: JSONWebKeySet;
}

/**
 * A process's view of the signing keys: the document is re-read at most every KEY_SET_CACHE_MS
 * (measured on the injected clock), and each private key is imported once.
 */
export class SigningKeyRing {
  private loaded: Promise<Loaded> | undefined;
  private readonly imported = new Map<string, KeyObject>();
  private published: PublishedJwks | undefined;
  private verifying: { set: SigningKeySet; kids: string; jwks: JSONWebKeySet } | undefined;

  constructor(
    private readonly source: SigningKeySource,
    private readonly settings: Pick<TokenSettings, 'keepPublishedMs'>,
  ) {}

  private async keySet(now: Date): Promise<SigningKeySet> {
    const at = now.getTime();
    let current = this.loaded;
    if (current) {
      const { loadedAt, set } = await current.catch(() => ({ loadedAt: Number.NaN, set: undefined }));
      const keepMs = set !== undefined && signingKeyAt(set, now) === undefined ? KEYLESS_RELOAD_MS : KEY_SET_CACHE_MS;
      if (!(at - loadedAt < keepMs && at >= loadedAt)) current = undefined;
    }
    if (!current) {
      current = this.source.load().then((set) => ({ set, loadedAt: at }));
      this.loaded = current;
      current.catch(() => {
        if (this.loaded === current) this.loaded = undefined;
      });
    }
    return (await current).set;
  }

  async signer(now: Date): Promise<Signer> {
    const key = signingKeyAt(await this.keySet(now), now);
    if (!key) throw new NoSigningKeyError();
    let imported = this.imported.get(key.kid);
    if (!imported) {
      imported = createPrivateKey({ key: key.privateJwk, format: 'jwk' });
      this.imported.set(key.kid, imported);
    }
    return { kid: key.kid, alg: key.alg, key: imported };
  }

  /**
   * The same object for as long as the set and the published keys stay the same (verifiers of
   * access tokens call this for every token; access-token.ts keeps a verifier per object).
   */
  async jwks(now: Date): Promise<JSONWebKeySet> {
    const set = await this.keySet(now);
    const at = now.getTime();
    const held = this.published;
    if (held && held.set === set && at >= held.from && at < held.until) return held.jwks;
    const changes = keyTimeline(set, this.settings).flatMap((t) => (t.unpublishAt === undefined ? [] : [t.unpublishAt.getTime()]));
    const jwks = { keys: publishedKeysAt(set, now, this.settings).map(publicJwk) };
    this.published = {
      set,
      from: Math.max(Number.NEGATIVE_INFINITY, ...changes.filter((c) => c <= at)),
      until: Math.min(Number.POSITIVE_INFINITY, ...changes.filter((c) => c > at)),
      jwks,
    };
    return jwks;
  }

  /** The public keys that verify JWT-format keys: never for access tokens (see the top of this file). */
  async keyVerificationJwks(now: Date): Promise<JSONWebKeySet> {
    const set = await this.keySet(now);
    const keys = keyVerificationKeysAt(set, now);
    const kids = keys.map((k) => k.kid).join(' ');
    // The same object while the set and its verifying keys stay the same, as jwks() does: every
    // JWT-format key is checked against it, and verifiers are kept per object (jwks-source.ts).
    const held = this.verifying;
    if (held && held.set === set && held.kids === kids) return held.jwks;
    const jwks = { keys: keys.map(publicJwk) };
    this.verifying = { set, kids, jwks };
    return jwks;
  }
}
