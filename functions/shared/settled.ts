/** A computation's outcome kept to be used later: its value, or what it threw (to be thrown later). */
export type Settled<T> = { value: T } | { error: unknown };

export function settle<T>(compute: () => T): Settled<T> {
  try {
    return { value: compute() };
  } catch (error) {
    return { error };
  }
}
