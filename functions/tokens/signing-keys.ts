import { calculateJwkThumbprint, type CryptoKey, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import * as z from 'zod';
import { KEY_SET_CACHE_MS, type TokenSettings } from './token-settings.js';

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
 */
export const signingAlgorithms = ['ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

const b64url = z.string().regex(/^[A-Za-z0-9_-]+$/);
const privateJwkSchema = z.discriminatedUnion('kty', [
  z.strictObject({ kty: z.literal('EC'), crv: z.literal('P-256'), x: b64url, y: b64url, d: b64url }),
  z.strictObject({ kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: b64url, d: b64url }),
]);

const signingKeySchema = z.strictObject({
  kid: z.string().min(1),
  alg: z.enum(signingAlgorithms),
  createdAt: z.iso.datetime(),
  activatesAt: z.iso.datetime(),
  privateJwk: privateJwkSchema,
});

/** Unknown top-level members are dropped: the AWS secret starts as a placeholder with one. */
export const signingKeySetSchema = z.object({
  version: z.literal(1),
  keys: z.array(signingKeySchema),
});

export type SigningKey = z.infer<typeof signingKeySchema>;
export type SigningKeySet = z.infer<typeof signingKeySetSchema>;

export const emptyKeySet = (): SigningKeySet => ({ version: 1, keys: [] });

/** Parses a stored document; the message never quotes the document (it holds private keys). */
export function parseKeySet(text: string, where: string): SigningKeySet {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${where} is not JSON`);
  }
  const parsed = signingKeySetSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${where} is not a keygate signing-key set: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`);
  }
  return { version: 1, keys: sortByActivation(parsed.data.keys) };
}

export function serializeKeySet(set: SigningKeySet): string {
  return `${JSON.stringify(set, null, 2)}\n`;
}

function sortByActivation(keys: SigningKey[]): SigningKey[] {
  return [...keys].sort((a, b) => a.activatesAt.localeCompare(b.activatesAt) || a.createdAt.localeCompare(b.createdAt));
}

export async function generateSigningKey(alg: SigningAlgorithm, createdAt: Date, activatesAt: Date): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = privateJwkSchema.parse(await exportJWK(privateKey));
  return {
    // RFC 7638 thumbprint of the public key: stable, unique, and says nothing secret.
    kid: await calculateJwkThumbprint(publicPart(privateJwk)),
    alg,
    createdAt: createdAt.toISOString(),
    activatesAt: activatesAt.toISOString(),
    privateJwk,
  };
}

function publicPart(jwk: SigningKey['privateJwk']): JWK {
  const { d: _private, ...rest } = jwk;
  return rest;
}

export function publicJwk(key: SigningKey): JWK {
  return { ...publicPart(key.privateJwk), kid: key.kid, alg: key.alg, use: 'sig' };
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

export interface Rotation {
  set: SigningKeySet;
  added: SigningKey;
  /** Kids dropped from the document: no token they signed can still be valid. */
  removed: string[];
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
 * Adds a new key that activates publishAhead from now (from the start when nothing signs yet)
 * and drops keys whose last token has expired.
 */
export async function rotateKeySet(set: SigningKeySet, now: Date, settings: TokenSettings): Promise<Rotation> {
  const timeline = keyTimeline(set, settings);
  const kept = timeline.filter((t) => t.unpublishAt === undefined || t.unpublishAt > now).map((t) => t.key);
  const removed = timeline.filter((t) => !kept.includes(t.key)).map((t) => t.key.kid);
  const activatesAt = signingKeyAt(set, now) === undefined ? FROM_THE_START : new Date(now.getTime() + settings.publishAheadMs);
  const added = await generateSigningKey(settings.algorithm, now, activatesAt);
  return { set: { version: 1, keys: sortByActivation([...kept, added]) }, added, removed };
}

/** Where a process reads the signing keys from. */
export interface SigningKeySource {
  load(): Promise<SigningKeySet>;
}

export class NoSigningKeyError extends Error {
  constructor() {
    super('there is no active token signing key yet: run the signing-key rotation once (npm run keys:rotate, or rotate the secret on AWS)');
    this.name = 'NoSigningKeyError';
  }
}

export interface Signer {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

interface Loaded {
  set: SigningKeySet;
  loadedAt: number;
}

/**
 * A process's view of the signing keys: the document is re-read at most every KEY_SET_CACHE_MS
 * (measured on the injected clock), and each private key is imported once.
 */
export class SigningKeyRing {
  private loaded: Promise<Loaded> | undefined;
  private readonly imported = new Map<string, Promise<CryptoKey>>();

  constructor(
    private readonly source: SigningKeySource,
    private readonly settings: Pick<TokenSettings, 'keepPublishedMs'>,
  ) {}

  private async keySet(now: Date): Promise<SigningKeySet> {
    const at = now.getTime();
    let current = this.loaded;
    if (current) {
      const { loadedAt } = await current.catch(() => ({ loadedAt: Number.NaN }));
      if (!(at - loadedAt < KEY_SET_CACHE_MS && at >= loadedAt)) current = undefined;
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
      imported = importJWK(key.privateJwk, key.alg) as Promise<CryptoKey>;
      this.imported.set(key.kid, imported);
      imported.catch(() => this.imported.delete(key.kid));
    }
    return { kid: key.kid, alg: key.alg, key: await imported };
  }

  async jwks(now: Date): Promise<JSONWebKeySet> {
    return { keys: publishedKeysAt(await this.keySet(now), now, this.settings).map(publicJwk) };
  }
}
