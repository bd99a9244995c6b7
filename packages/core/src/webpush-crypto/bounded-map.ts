/**
 * A Map that drops its oldest entry when a new key would take it past `capacity`: for memo
 * tables keyed by outside input (subscriptions, audiences, tokens) that must not grow without
 * bound.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  readonly #capacity: number;

  constructor(capacity: number) {
    super();
    this.#capacity = capacity;
  }

  override set(key: K, value: V): this {
    if (this.size >= this.#capacity && !this.has(key)) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
