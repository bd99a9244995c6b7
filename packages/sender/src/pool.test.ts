import { describe, expect, it } from 'vitest';
import { mapBounded, mapBoundedInOrder } from './pool.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('mapBounded', () => {
  it('never has more than `concurrency` items running, and finishes all of them', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    for await (const settled of mapBounded(Array.from({ length: 100 }, (_, i) => i), 7, async (item) => {
      running++;
      peak = Math.max(peak, running);
      for (let i = 0; i < item % 5; i++) await tick();
      running--;
      return item * 2;
    })) {
      expect(settled.value).toBe(settled.item * 2);
      seen.push(settled.index);
    }
    expect(peak).toBe(7);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('pulls from the source only as results are taken, even from a slow consumer', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    let taken = 0;
    for await (const _ of mapBounded(source(), 4, async (item) => item)) {
      taken++;
      for (let i = 0; i < 3; i++) await tick();
      expect(pulled - taken).toBeLessThanOrEqual(4);
    }
    expect(taken).toBe(1000);
  });

  it('returns the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const settled of mapBounded(source(), 3, async (item) => item)) {
      if (settled.index === 5) break;
    }
    expect(closed).toBe(true);
  });

  it('collects results in source order whatever order they finish in', async () => {
    const results = await mapBoundedInOrder([5, 1, 4, 0, 3], 5, async (item) => {
      for (let i = 0; i < item; i++) await tick();
      return `r${item}`;
    });
    expect(results).toEqual(['r5', 'r1', 'r4', 'r0', 'r3']);
  });
});
