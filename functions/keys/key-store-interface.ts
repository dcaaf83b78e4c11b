import type { AuditEntry } from '../audit/audit-model.js';
import type { KeyChanges, KeyRecord, KeyStatus } from './key-model.js';

/**
 * What the key domain (key-lifecycle, key-authentication) asks of the table, and nothing more.
 * One production implementation: DynamoDB (key-store.ts, `dynamoKeyStore`). Unit tests use the
 * in-memory twin (test/support/memory-key-store.ts), which keeps the same rules: a name is
 * unique per owner, case-insensitive, held by a lock that only a write naming a stale holder
 * may take over; an edit is conditional on the version it read; an audit entry is written with
 * the change it records, or not at all.
 */
export interface KeyStore {
  /** Strongly consistent: a reset or delete must bite on the very next request. Absent: undefined. */
  findKey(id: string): Promise<KeyRecord | undefined>;
  /** The keys with these ids, by id, in one consistent read (an id with no key is absent). */
  findKeys(ids: readonly string[]): Promise<Map<string, KeyRecord>>;
  /**
   * A page of keys, of one owner or of all, newest first (by name for a name prefix over all
   * owners); the filters as matchesListQuery() (key-listing.ts) decides. A page may be short, or
   * empty, and still carry a cursor: the listing bounds the work of one page.
   */
  queryKeys(query: ListQuery, now: Date): Promise<KeyPage>;
  /**
   * Creates a key, claiming its name, with its audit entry. `staleHolder`: take over the name
   * lock of that key (no longer active); refused if the lock names another key by then.
   */
  insertKey(key: KeyRecord, audit: AuditEntry, staleHolder?: string): Promise<NameClaim>;
  /**
   * Writes an edit of `before` (as read: the edit is conditional on its version), with its audit
   * entry. A rename moves the name lock (`staleHolder` as for insertKey); `releaseName`: the key
   * gives up its name (revocation).
   */
  editKey(before: KeyRecord, changes: KeyChanges, audit: AuditEntry, options?: { staleHolder?: string | undefined; releaseName?: boolean }): Promise<EditOutcome>;
  /**
   * Records a use at `now` (lastUsedAt, and the inactivity expiry it moves to `inactiveAt`), at
   * most once a minute per key, never on a revoked or inactive key. True when it was written.
   */
  recordUse(key: KeyRecord, now: Date, inactiveAt: string): Promise<boolean>;
  /**
   * A rotation, all or nothing: `before`'s changes (conditional on the version read and on it
   * having no successor yet, so of concurrent rotations exactly one wins), the successor's
   * insert, the name lock moved from `before` to the successor (conditional on naming `before`),
   * and the audit entries.
   */
  rotateKey(before: KeyRecord, changes: KeyChanges, successor: KeyRecord, audits: readonly AuditEntry[]): Promise<RotationOutcome>;
}

/**
 * `changed`: the old key was changed (or rotated) meanwhile; `name_moved`: its name lock no longer
 * names it; `conflict`: another transaction on the same items was in flight (DynamoDB's
 * TransactionConflict): read again and retry.
 */
export type RotationOutcome = { ok: true } | { ok: false; reason: 'changed' | 'name_moved' | 'conflict' };

export interface ListQuery {
  owner?: string | undefined;
  status?: KeyStatus | undefined;
  /** One tag the key must carry (`team:payments`). */
  tag?: string | undefined;
  /** Case-insensitive prefix of the name. */
  namePrefix?: string | undefined;
  /** ISO 8601: the effective expiry lies before it. */
  expiringBefore?: string | undefined;
  /** ISO 8601: no use recorded at or after it (never-used keys match). */
  unusedSince?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface KeyPage {
  items: KeyRecord[];
  nextCursor: string | null;
}

export type NameClaim = { ok: true } | { ok: false; holder: string | undefined };

export type EditOutcome = { ok: true } | { ok: false; reason: 'changed' } | { ok: false; reason: 'name_taken'; holder: string | undefined };
