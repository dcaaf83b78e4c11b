import type { AuditEntry } from '../../functions/audit/audit-model.js';
import { applyKeyChanges, type KeyChanges, type KeyRecord, keyStatus } from '../../functions/keys/key-model.js';
import type { EditOutcome, KeyPage, KeyStore, ListQuery, NameClaim, RotationOutcome } from '../../functions/keys/key-store-interface.js';
import { listOrder, matchesListQuery } from '../../functions/keys/key-listing.js';

/**
 * The in-memory twin of the DynamoDB key store (functions/keys/key-store.ts), for unit tests of
 * the key rules. It keeps the rules the domain relies on: a name lock per owner and lower-cased
 * name, taken over only by a write naming its stale holder; edits conditional on the version
 * read; the use record at most once a minute and never on a revoked or inactive key; an audit
 * entry stored with its change or not at all. What only the engine shows (transactions under
 * load, races, unprocessed batch keys) stays with the DynamoDB Local suites.
 */
export class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, KeyRecord>();
  /** `<owner>#<lower-cased name>` → id of the key holding the name. */
  readonly nameLocks = new Map<string, string>();
  readonly auditEntries: AuditEntry[] = [];
  /** Every call, by method: what a rule cost in reads and writes. */
  readonly calls: string[] = [];

  async findKey(id: string): Promise<KeyRecord | undefined> {
    this.calls.push('findKey');
    return this.copy(id);
  }

  async findKeys(ids: readonly string[]): Promise<Map<string, KeyRecord>> {
    this.calls.push('findKeys');
    const found = new Map<string, KeyRecord>();
    for (const id of new Set(ids)) {
      const key = this.copy(id);
      if (key) found.set(id, key);
    }
    return found;
  }

  async queryKeys(query: ListQuery, now: Date): Promise<KeyPage> {
    this.calls.push('queryKeys');
    // The same order and filters as the key indexes (functions/keys/key-listing.ts), without their page bound.
    const byName = listOrder(query) === 'name';
    const sortKey = (k: KeyRecord) => (byName ? `${k.name.toLowerCase()}#${k.id}` : `${k.createdAt}#${k.id}`);
    const after = query.cursor === undefined ? undefined : Buffer.from(query.cursor, 'base64url').toString();
    const all = [...this.keys.values()]
      .filter((k) => matchesListQuery(k, query, now))
      .sort((a, b) => (byName ? sortKey(a).localeCompare(sortKey(b)) : sortKey(b).localeCompare(sortKey(a))))
      .filter((k) => after === undefined || (byName ? sortKey(k) > after : sortKey(k) < after));
    const items = all.slice(0, query.limit).map((k) => structuredClone(k));
    const last = items.at(-1);
    return { items, nextCursor: all.length > query.limit && last ? Buffer.from(sortKey(last)).toString('base64url') : null };
  }

  async insertKey(key: KeyRecord, audit: AuditEntry, staleHolder?: string): Promise<NameClaim> {
    this.calls.push('insertKey');
    if (this.keys.has(key.id)) throw new Error(`a key with id ${key.id} exists`);
    const lock = lockOf(key);
    const holder = this.nameLocks.get(lock);
    if (!(staleHolder === undefined ? holder === undefined : holder === staleHolder)) return { ok: false, holder };
    this.keys.set(key.id, structuredClone(key));
    this.nameLocks.set(lock, key.id);
    this.auditEntries.push(audit);
    return { ok: true };
  }

  async editKey(
    before: KeyRecord,
    changes: KeyChanges,
    audit: AuditEntry,
    options: { staleHolder?: string | undefined; releaseName?: boolean } = {},
  ): Promise<EditOutcome> {
    this.calls.push('editKey');
    const stored = this.keys.get(before.id);
    if (!stored || stored.version !== before.version) return { ok: false, reason: 'changed' };
    const after = applyKeyChanges(before, changes);
    const renamed = lockOf(before) !== lockOf(after);
    if (renamed) {
      const holder = this.nameLocks.get(lockOf(after));
      if (!(options.staleHolder === undefined ? holder === undefined : holder === options.staleHolder)) {
        return { ok: false, reason: 'name_taken', holder };
      }
      this.nameLocks.set(lockOf(after), after.id);
    }
    // The old name is released only while this key still holds it (an expired key's name may have been taken over).
    if ((renamed || options.releaseName === true) && this.nameLocks.get(lockOf(before)) === before.id) this.nameLocks.delete(lockOf(before));
    this.keys.set(after.id, structuredClone(after));
    this.auditEntries.push(audit);
    return { ok: true };
  }

  async recordUse(key: KeyRecord, now: Date, inactiveAt: string): Promise<boolean> {
    this.calls.push('recordUse');
    const stored = this.keys.get(key.id);
    const nowIso = now.toISOString();
    const minuteAgo = new Date(now.getTime() - 60_000).toISOString();
    if (!stored || stored.revokedAt !== undefined || !(stored.inactiveAt > nowIso)) return false;
    if (stored.lastUsedAt !== undefined && stored.lastUsedAt > minuteAgo) return false;
    stored.lastUsedAt = nowIso;
    stored.inactiveAt = inactiveAt;
    return true;
  }

  async rotateKey(before: KeyRecord, changes: KeyChanges, successor: KeyRecord, audits: readonly AuditEntry[]): Promise<RotationOutcome> {
    this.calls.push('rotateKey');
    const stored = this.keys.get(before.id);
    const unchanged = stored !== undefined && stored.version === before.version;
    if (!unchanged || stored.successorId !== undefined || stored.revokedAt !== undefined) return { ok: false, reason: 'changed' };
    if (this.keys.has(successor.id)) throw new Error(`a key with id ${successor.id} exists`);
    if (this.nameLocks.get(lockOf(before)) !== before.id) return { ok: false, reason: 'name_moved' };
    // An update in place: a use recorded since the read (lastUsedAt, inactiveAt) stays.
    const after = { ...stored, ...changes.set };
    for (const field of changes.remove) delete (after as Partial<KeyRecord>)[field];
    this.keys.set(before.id, structuredClone(after));
    this.keys.set(successor.id, structuredClone(successor));
    this.nameLocks.set(lockOf(successor), successor.id);
    this.auditEntries.push(...audits);
    return { ok: true };
  }

  /** Puts a key as it would be stored, bypassing the rules (a test's starting state). */
  seed(key: KeyRecord): void {
    this.keys.set(key.id, structuredClone(key));
    if (key.revokedAt === undefined) this.nameLocks.set(lockOf(key), key.id);
  }

  private copy(id: string): KeyRecord | undefined {
    const key = this.keys.get(id);
    return key === undefined ? undefined : structuredClone(key);
  }
}

function lockOf(key: Pick<KeyRecord, 'owner' | 'name'>): string {
  return `${key.owner}#${key.name.toLowerCase()}`;
}
