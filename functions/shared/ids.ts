import { createHash, randomBytes } from 'node:crypto';
import baseX from 'base-x';

/**
 * Every id keygate makes, and the pattern each is checked against: keys, channels, operator
 * messages and audit entries. Ids are random (or, for failed-authentication aggregates, a
 * digest): they say nothing about what they name, and none is a secret.
 */

export const base62 = baseX('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');

export function randomBase62(bytes: number, length: number): string {
  return base62.encode(randomBytes(bytes)).padStart(length, '0');
}

const ID_LENGTH = 22;

/** 16 random bytes (128 bits) in base62, 22 characters: a key id, and the body of a channel id. */
export const KEY_ID = /^[0-9A-Za-z]{22}$/;

export function newKeyId(): string {
  return randomBase62(16, ID_LENGTH);
}

export const CHANNEL_ID = /^ch_[0-9A-Za-z]{22}$/;

export function newChannelId(): string {
  return `ch_${randomBase62(16, ID_LENGTH)}`;
}

/** An operator message (and a webhook's webhook-id) takes its id from the notification's rev. */
export const OPERATOR_MESSAGE_ID = /^msg_[0-9A-Za-z_-]{16}$/;

export function notificationMessageId(rev: string): string {
  return `msg_${rev}`;
}

/**
 * Entry ids are 16 base64url characters: random for changes, a digest for failed-authentication
 * aggregates (so every attempt in one minute lands on one item). Fixed length matters: the sort
 * key `<at>#<id>` has a fixed length, which the query's exclusive bound relies on (audit/audit-store.ts).
 */
export const ENTRY_ID_LENGTH = 16;

export function newEntryId(): string {
  return randomBytes(12).toString('base64url');
}

export function digestEntryId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\0')).digest('base64url').slice(0, ENTRY_ID_LENGTH);
}
