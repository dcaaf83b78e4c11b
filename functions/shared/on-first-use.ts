import * as z from 'zod';

/**
 * A value built on its first use, then kept. For zod schemas that a module defines but most of
 * the functions bundling it never parse with: building a schema runs zod's constructors (and the
 * first build of a kind compiles them), which at module scope every cold start pays, used or not
 * (test/bench/profile-cold-start.ts; README, Performance).
 */
export function onFirstUse<T>(build: () => T): () => T {
  let value: { built: T } | undefined;
  return () => {
    value ??= { built: build() };
    return value.built;
  };
}

/**
 * A zod schema built on its first use: a `z.lazy` over the build, kept (`onFirstUse`), so that
 * `.unwrap()` gives the one built schema too. It parses, infers and describes itself (OpenAPI)
 * as the built schema does. For route contracts' request and response schemas and the shared
 * parts most bundles import but never parse (README, "Adding a route"). Rules:
 *   - `.shape`, `.extend` and the like are on the built schema: `schema.unwrap().shape`;
 *   - a query or path field that carries a description stays a plain schema (zod-openapi reads
 *     the parameters' descriptions from them), though the query or path object may be lazy.
 */
export function lazySchema<T extends z.ZodType>(build: () => T): z.ZodLazy<T> {
  return z.lazy(onFirstUse(build));
}
