import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type KeygateWorld, keygateWorld, START } from '../support/world.js';
import { storedItems } from './api-client.js';

/**
 * An admin's edit (PATCH, reset, delete) at the same moment as a use of the same key: the use's
 * record (lastUsedAt, inactiveAt) must survive the edit, or the key would expire for inactivity
 * early. Run as real races over DynamoDB Local, many at once, so the use often lands between the
 * edit's read and its write.
 */
const RACES = 60;

let world: KeygateWorld;
let api: KeygateWorld['api'];
let admin: string;

beforeEach(async () => {
  world = await keygateWorld();
  ({ api, admin } = world);
  expect((await api('GET', '/v1/catalog', { key: admin })).status).toBe(200);
});

afterEach(async () => {
  await world.close();
});

describe('an edit racing a use of the same key', () => {
  it(`keeps every use recorded over ${RACES} races of PATCH and reset`, async () => {
    const keys = await Promise.all(
      Array.from({ length: RACES }, async (_, i) => {
        const created = await api('POST', '/v1/keys', { key: admin, body: { name: `racer-${i}`, permissions: ['alerts:read'], expiresIn: 'P30D', notification: null } });
        expect(created.status).toBe(201);
        return created.json as { id: string; key: string };
      }),
    );
    const outcomes: { edited: number; used: number }[] = [];
    // Ten races at a time: enough overlap for the use to land inside an edit, without queueing so long that none does.
    for (let batch = 0; batch < RACES; batch += 10) {
      outcomes.push(...(await Promise.all(keys.slice(batch, batch + 10).map(async ({ id, key }, j) => {
        const i = batch + j;
        const edit = i % 2 === 0 ? api('PATCH', `/v1/keys/${id}`, { key: admin, body: { description: `edited ${i}` } }) : api('POST', `/v1/keys/${id}/reset`, { key: admin });
        const use = api('GET', '/v1/catalog', { key });
        const [edited, used] = await Promise.all([edit, use]);
        return { edited: edited.status, used: used.status };
      }))));
    }
    expect(outcomes.every((o) => o.edited === 200)).toBe(true);
    // A use that raced a reset may have presented the replaced secret after the reset landed (401); every other one worked.
    const usedIds = new Set(keys.filter((_, i) => outcomes[i]?.used === 200).map((k) => k.id));
    expect(usedIds.size).toBeGreaterThan(RACES / 2);

    const stored = new Map((await storedItems(world.deps)).filter((item) => item.sk === 'KEY').map((item) => [item.id as string, item]));
    const lost = [...usedIds].filter((id) => stored.get(id)?.lastUsedAt !== START.toISOString());
    expect(lost).toEqual([]);
    for (const [i, { id }] of keys.entries()) {
      const item = stored.get(id);
      if (i % 2 === 0) expect(item?.description).toBe(`edited ${i}`);
      else expect(item?.secretResetAt).toBe(START.toISOString());
    }
  }, 120_000);
});
