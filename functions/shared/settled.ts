/** A computation's outcome kept to be used later: its value, or what it threw (to be thrown later). */
export type Settled<T> = { value: T } | { error: unknown };

export function settle<T>(compute: () => T): Settled<T> {
  try {
    return { value: compute() };
  } catch (error) {
    return { error };
  }
}

/**
 * Promise.all that rejects only once every promise has settled (with the first rejection, in the
 * order given). Promise.all rejects at the first failure and leaves the rest running: a handler
 * would answer while DynamoDB calls it started are still in flight, which Lambda then freezes
 * with the instance (they resume, or fail, inside a later invocation), and would report a failure
 * while writes it started go on landing. Every parallel batch in functions/ goes through this
 * (test/unit/architecture.test.ts).
 */
export async function settleAll<const T extends readonly unknown[]>(promises: { readonly [K in keyof T]: PromiseLike<T[K]> }): Promise<{ -readonly [K in keyof T]: T[K] }> {
  const results = await Promise.allSettled(promises as readonly PromiseLike<unknown>[]);
  const values: unknown[] = [];
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
    values.push(result.value);
  }
  return values as { -readonly [K in keyof T]: T[K] };
}
