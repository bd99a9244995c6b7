/** One finished item of `mapBounded`, tagged with its position in the source. */
export interface Settled<T, R> {
  index: number;
  item: T;
  value: R;
}

/**
 * Runs `work` over a (possibly endless) source with at most `concurrency` items taken from
 * the source and not yet handed to the consumer, and yields results as they finish. The source
 * is pulled only when a slot frees up, and a slot frees only when the consumer takes a
 * result, so memory stays bounded however many items stream through and however slowly the
 * consumer reads. `work` must not reject: callers turn failures into values.
 */
export async function* mapBounded<T, R>(
  source: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): AsyncGenerator<Settled<T, R>, void, undefined> {
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  const running = new Map<number, Promise<Settled<T, R>>>();
  let nextIndex = 0;
  let exhausted = false;
  try {
    for (;;) {
      while (!exhausted && running.size < concurrency) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const index = nextIndex++;
        const item = next.value;
        running.set(
          index,
          work(item, index).then((value) => ({ index, item, value })),
        );
      }
      if (running.size === 0) return;
      const settled = await Promise.race(running.values());
      running.delete(settled.index);
      yield settled;
    }
  } finally {
    // The consumer stopped early (break, throw): let the source release what it holds.
    if (!exhausted) await iterator.return?.();
  }
}

/** Drains `mapBounded` into an array in source order. */
export async function mapBoundedInOrder<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  for await (const settled of mapBounded(items, concurrency, work)) results[settled.index] = settled.value;
  return results;
}
