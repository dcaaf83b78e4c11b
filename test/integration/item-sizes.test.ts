import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, type CreatedKey, createKey, type KeygateWorld, keygateWorld, postForm } from '../support/world.js';

/**
 * The sizes of the items keygate writes, as DynamoDB bills them (README, "Cost"): measured on the
 * items the code writes to DynamoDB Local, by DynamoDB's item-size rules (attribute names plus
 * values: strings as UTF-8 bytes, numbers about one byte per two digits plus one, containers 3
 * bytes plus one per element). A write unit covers 1 KB, a strongly consistent read unit 4 KB;
 * the assertions keep each item within the units the cost table assumes. `ITEM_SIZES=1` prints them.
 */
function valueSize(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  if (typeof value === 'object') return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0);
  throw new Error(`no DynamoDB size for ${typeof value}`);
}
const itemSize = (item: Record<string, unknown>) => Object.entries(item).reduce((sum, [name, v]) => sum + Buffer.byteLength(name) + valueSize(v), 0);

let world: KeygateWorld;
let key: CreatedKey;
const sizes = new Map<string, number>();

async function scanAll(): Promise<Record<string, unknown>[]> {
  const out = await world.deps.ddb.send(new ScanCommand({ TableName: world.deps.tableName }));
  return (out.Items ?? []) as Record<string, unknown>[];
}

beforeAll(async () => {
  world = await keygateWorld();
  // A typical integration key: a few permissions, a scoped role, a name and a description.
  key = await createKey(world, {
    owner: 'siem-pipeline',
    permissions: ['alerts:read', 'cases:read', 'cases:write'],
    roles: [{ role: 'cloud-account-viewer', scope: ['acct-1', 'acct-2'] }],
    description: 'Pulls alerts into the SIEM every minute',
  });
  const verifier = await createKey(world, { owner: 'gateway', permissions: ['key-verification:read'] });
  world.clock.advance(61_000); // past the once-a-minute use record
  const verified = await world.api('POST', '/v1/keys/verify', { key: verifier.key, body: { key: key.key } });
  expect(verified.status).toBe(200);
  const token = await postForm(world, '/oauth/token', { grant_type: 'client_credentials' }, { authorization: basic(key.id, key.key) });
  expect(token.status).toBe(200);
  for (const item of await scanAll()) {
    const label = String(item.pk).split('#')[0] ?? '';
    sizes.set(label, Math.max(sizes.get(label) ?? 0, itemSize(item)));
  }
  if (process.env.ITEM_SIZES === '1') console.log(Object.fromEntries([...sizes].sort()));
}, 60_000);

afterAll(() => world.close());

describe('item sizes', () => {
  it('keeps a key item within one write unit (1 KB) and one read unit (4 KB), so a verify reads 1 RCU and a use record writes 1 WCU', () => {
    const keyItems = [...sizes].filter(([label]) => label.startsWith('KEY'));
    expect(keyItems.length).toBeGreaterThan(0);
    for (const [label, size] of keyItems) expect(size, label).toBeLessThanOrEqual(1024);
  });

  it('keeps every audit entry within one write unit', () => {
    const audit = [...sizes].filter(([label]) => label.startsWith('AUDIT'));
    expect(audit.length).toBeGreaterThan(0);
    for (const [label, size] of audit) expect(size, label).toBeLessThanOrEqual(1024);
  });
});
