/**
 * A seeded generator (mulberry32) for generated and fuzz inputs: a failure replays with the same
 * inputs on every run. (packages/core/test/fuzz-support.ts has the same one for core's fuzz tests,
 * which cannot depend on this package.)
 */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return {
    next,
    int,
    /** True with probability `p`. */
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
  };
}

export type SeededRandom = ReturnType<typeof seededRandom>;
