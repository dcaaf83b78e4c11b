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
