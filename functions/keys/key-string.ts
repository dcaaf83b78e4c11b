import { hash, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { base62, randomBase62 } from '../shared/ids.js';

/**
 * The key string, built for secret scanning (like GitHub's `ghp_` tokens):
 *
 *   <prefix>_<id: 22 base62>_<secret: 43 base62><checksum: 6 base62>
 *
 * The secret is 32 random bytes (256 bits). The checksum is the CRC32 of everything before it,
 * so a mistyped or made-up string is refused without a database read. Only a SHA-256 of the
 * secret is stored: the secret has full entropy, so a slow password hash would add latency to
 * every request and no security.
 */
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const KEY_STRING = /^([a-z0-9]{2,10})_([0-9A-Za-z]{22})_([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

function checksum(body: string): string {
  const crc = crc32(body);
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc);
  return base62.encode(bytes).padStart(CHECKSUM_LENGTH, '0');
}

export interface IssuedSecret {
  /** The full key string: shown to the caller once, never stored. */
  keyString: string;
  secretHash: string;
}

/** 32 random bytes (256 bits) in base62: a key string's secret, or a JWT-format key's `jti`. */
export function newSecret(): string {
  return randomBase62(32, SECRET_LENGTH);
}

export function issueSecret(prefix: string, keyId: string): IssuedSecret {
  const secret = newSecret();
  const body = `${prefix}_${keyId}_${secret}`;
  return { keyString: body + checksum(body), secretHash: hashSecret(secret) };
}

export interface ParsedKey {
  keyId: string;
  secret: string;
}

/** Undefined when the string is not a well-formed key of this deployment (no I/O involved). */
export function parseKeyString(prefix: string, text: string): ParsedKey | undefined {
  const match = KEY_STRING.exec(text);
  if (!match) return undefined;
  const [, gotPrefix, keyId = '', secret = '', sum] = match;
  if (gotPrefix !== prefix) return undefined;
  if (checksum(`${gotPrefix}_${keyId}_${secret}`) !== sum) return undefined;
  return { keyId, secret };
}

export function hashSecret(secret: string): string {
  // crypto.hash: node's one-shot digest, without a Hash object per call (on every request's path).
  return hash('sha256', secret, 'hex');
}

/** Constant-time comparison of a presented secret with a stored hash. */
export function secretMatches(secret: string, storedHash: string | undefined): boolean {
  if (storedHash === undefined) return false;
  // The digest's bytes as they are, not through hex and back.
  const presented = hash('sha256', secret, 'buffer');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
