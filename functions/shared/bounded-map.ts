/**
 * A per-process memo (or cache) of at most `max` entries, cleared whole when a new entry would
 * pass the bound: simpler than an LRU, and enough where an entry costs one lookup to rebuild.
 */
export class BoundedMap<V> extends Map<string, V> {
  constructor(private readonly max: number) {
    super();
  }

  override set(key: string, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.clear();
    return super.set(key, value);
  }
}
