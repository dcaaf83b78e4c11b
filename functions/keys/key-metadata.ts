import * as z from 'zod';
import { lazySchema } from '../shared/on-first-use.js';

/**
 * What an owner attaches to a key besides its grants (PRODUCT §9, Unkey's `meta`, GitLab's labels).
 *
 * `meta`: a small JSON object, returned by POST /v1/keys/verify and handed by the authorizer to the
 * protected API (functions/authorizer/authorizer-context.ts), so a backend can learn, say, which
 * customer or plan a key serves without a lookup of its own. It is shown to everyone who may read
 * the key and written to the audit log when it changes: **no secrets in it, by convention**. Bounded
 * so that it cannot bloat every key read, every authorizer answer and every audit entry: at most
 * META_MAX_BYTES serialized (UTF-8), objects nested at most META_MAX_DEPTH deep, keys 1 to 64
 * characters.
 *
 * `tags`: labels such as `team:payments` or `env:prod` (a name, optionally `:value`), lower case,
 * at most MAX_TAGS per key, kept sorted and unique. GET /v1/keys filters on one.
 */
export const META_MAX_BYTES = 1024;
export const META_MAX_DEPTH = 4;
export const MAX_TAGS = 10;
export const TAG_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,31}(:[a-z0-9][a-z0-9_./@+-]{0,63})?$/;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type KeyMeta = { [key: string]: Json };

function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

function longKey(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map(longKey).find((k) => k !== undefined);
  for (const [key, child] of Object.entries(value)) {
    if (key.length === 0 || key.length > 64) return key;
    const inner = longKey(child);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

export const metaSchema = lazySchema(() =>
  z
    .record(z.string(), z.json())
    .superRefine((meta, ctx) => {
      const bytes = Buffer.byteLength(JSON.stringify(meta), 'utf8');
      if (bytes > META_MAX_BYTES) ctx.addIssue({ code: 'custom', message: `meta must be at most ${META_MAX_BYTES} bytes as JSON (it is ${bytes})` });
      if (depthOf(meta) > META_MAX_DEPTH) ctx.addIssue({ code: 'custom', message: `meta must nest objects and arrays at most ${META_MAX_DEPTH} deep` });
      const bad = longKey(meta);
      if (bad !== undefined) ctx.addIssue({ code: 'custom', message: 'meta keys must be 1 to 64 characters' });
    })
    .meta({
      description:
        `A small JSON object (at most ${META_MAX_BYTES} bytes, ${META_MAX_DEPTH} levels) returned by verify and passed by the authorizer. ` +
        'No secrets: it is shown wherever the key is.',
    }) as z.ZodType<KeyMeta>,
);

export const tagSchema = lazySchema(() =>
  z
    .string()
    .max(97)
    .regex(
      TAG_PATTERN,
      'a tag is a lower-case name, optionally with ":value" (team:payments, env:prod): letters, digits and . _ - (the value also / @ +)',
    ),
);

export const tagsSchema = lazySchema(() =>
  z
    .array(tagSchema.unwrap())
    .max(MAX_TAGS, `a key carries at most ${MAX_TAGS} tags`)
    .transform((tags) => [...new Set(tags)].sort())
    .meta({ description: `Labels such as team:payments or env:prod, at most ${MAX_TAGS}; GET /v1/keys?tag= filters on one` }),
);

/** The stored form: no attribute for no tags or no meta (null clears on an edit). */
export function metadataFields(input: { tags?: string[] | undefined; meta?: KeyMeta | null | undefined }): { tags?: string[]; meta?: KeyMeta } {
  return {
    ...(input.tags !== undefined && input.tags.length > 0 ? { tags: input.tags } : {}),
    ...(input.meta !== undefined && input.meta !== null ? { meta: input.meta } : {}),
  };
}
