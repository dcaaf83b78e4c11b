import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { verifyKeyBodySchema } from '../../functions/keys/schemas.js';
import { lazySchema } from '../../functions/shared/on-first-use.js';

/**
 * lazySchema (functions/shared/on-first-use.ts): a schema that route bundles import but most never
 * parse with is built on its first use, once, and then behaves as the schema its build returns.
 */
describe('a schema built on first use', () => {
  const build = () => z.strictObject({ name: z.string().min(1), count: z.number().int().default(1) });

  it('is not built when the module defines it, and is built once however often it is used', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds += 1;
      return build();
    });
    expect(builds).toBe(0);
    schema.parse({ name: 'a' });
    schema.safeParse({ name: '' });
    const unwrapped = schema.unwrap();
    expect(schema.unwrap()).toBe(unwrapped);
    expect(Object.keys(unwrapped.shape)).toEqual(['name', 'count']);
    expect(builds).toBe(1);
  });

  it('parses, defaults and refuses as the built schema does', () => {
    const lazy = lazySchema(build);
    const plain = build();
    for (const input of [{ name: 'a' }, { name: 'a', count: 3 }, { name: '' }, { name: 'a', extra: true }, { count: 1.5 }, null]) {
      const [a, b] = [lazy.safeParse(input), plain.safeParse(input)];
      expect(a.success).toBe(b.success);
      expect(a.success ? a.data : a.error.issues).toEqual(b.success ? b.data : b.error.issues);
    }
  });

  it('describes itself (JSON Schema) as the built schema does', () => {
    expect(z.toJSONSchema(lazySchema(build))).toEqual(z.toJSONSchema(build()));
  });

  it('serves a route contract: the verify body refuses an instance without a permission', () => {
    expect(verifyKeyBodySchema.safeParse({ key: 'kg_x' }).success).toBe(true);
    const refused = verifyKeyBodySchema.safeParse({ key: 'kg_x', instance: 'acct-1' });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe('instance needs a permission to check on it');
  });
});
