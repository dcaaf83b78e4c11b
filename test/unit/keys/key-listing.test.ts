import { describe, expect, it } from 'vitest';
import { KEY_INDEX_ATTRIBUTES } from '../../../functions/contract/table-schema.js';
import { keyIndexAttributes, matchesListQuery, mayMatchIndexEntry } from '../../../functions/keys/key-listing.js';
import type { KeyRecord, KeyStatus } from '../../../functions/keys/key-model.js';
import type { ListQuery } from '../../../functions/keys/key-store-interface.js';

const NOW = new Date('2026-11-23T12:00:00.000Z');
const at = (days: number) => new Date(NOW.getTime() + days * 86_400_000).toISOString();

/** Keys in every state a listing tells apart: revoked or not, fixed expiry past, future or none, inactivity past or future, used or not, tagged or not. */
function keys(): KeyRecord[] {
  const out: KeyRecord[] = [];
  let n = 0;
  for (const revokedAt of [undefined, at(-1)])
    for (const expiresAt of [at(-2), at(5), at(50), null])
      for (const inactiveAt of [at(-3), at(4), at(60)])
        for (const lastUsedAt of [undefined, at(-10), at(-1)])
          for (const tags of [undefined, ['env:prod'], ['env:prod', 'team:payments']]) {
            const id = String(n++).padStart(22, '0');
            out.push({
              id,
              name: n % 2 === 0 ? `Payments-${n}` : `billing-${n}`,
              description: '',
              owner: n % 3 === 0 ? 'erin' : 'frank',
              roles: [],
              permissions: ['alerts:read'],
              secretHash: 'x',
              createdAt: at(-30),
              createdBy: { owner: 'admin' },
              updatedAt: at(-30),
              expiresAt,
              inactiveAt,
              version: 1,
              ...(revokedAt === undefined ? {} : { revokedAt }),
              ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
              ...(tags === undefined ? {} : { tags }),
            });
          }
  return out;
}

/** What a key index holds of a key: its keys and the projected attributes, nothing else. */
function indexEntry(key: KeyRecord): Record<string, unknown> {
  const entry: Record<string, unknown> = { pk: `KEY#${key.id}`, sk: 'KEY', ...keyIndexAttributes(key) };
  for (const attribute of KEY_INDEX_ATTRIBUTES) if (attribute in key) entry[attribute] = (key as unknown as Record<string, unknown>)[attribute];
  return entry;
}

const statuses: (KeyStatus | undefined)[] = [undefined, 'active', 'expired', 'expired_inactive', 'revoked'];
const queries: Omit<ListQuery, 'limit' | 'cursor'>[] = [];
for (const status of statuses)
  for (const tag of [undefined, 'env:prod', 'team:payments'])
    for (const namePrefix of [undefined, 'PAY', 'bill'])
      for (const extra of [{}, { expiringBefore: at(10) }, { unusedSince: at(-5) }, { owner: 'erin' }]) queries.push({ status, tag, namePrefix, ...extra });

describe('the key index filters', () => {
  it('never drop a key that the exact filters keep: they read only projected attributes and are a necessary condition', () => {
    const all = keys();
    let kept = 0;
    let dropped = 0;
    for (const query of queries) {
      for (const key of all) {
        const exact = matchesListQuery(key, query, NOW);
        const early = mayMatchIndexEntry(indexEntry(key), query, NOW);
        if (exact) expect(early, `${JSON.stringify(query)} ${JSON.stringify(key)}`).toBe(true);
        if (exact) kept++;
        if (!early) dropped++;
      }
    }
    // Both sides do work: some keys match, and the index filters spare many whole-item reads.
    expect(kept).toBeGreaterThan(1000);
    expect(dropped).toBeGreaterThan(10_000);
  });

  it('status: revoked, and fixed expiry against now, are decided on the index; inactivity is left to the whole item', () => {
    const base = { pk: 'KEY#x', nameLower: 'a' };
    expect(mayMatchIndexEntry({ ...base, revokedAt: at(-1), expiresAt: at(5) }, { status: 'revoked' }, NOW)).toBe(true);
    expect(mayMatchIndexEntry({ ...base, revokedAt: at(-1), expiresAt: at(5) }, { status: 'active' }, NOW)).toBe(false);
    expect(mayMatchIndexEntry({ ...base, expiresAt: at(-1) }, { status: 'active' }, NOW)).toBe(false);
    expect(mayMatchIndexEntry({ ...base, expiresAt: null }, { status: 'expired' }, NOW)).toBe(false);
    expect(mayMatchIndexEntry({ ...base, expiresAt: at(5) }, { status: 'expired_inactive' }, NOW)).toBe(true);
  });
});
