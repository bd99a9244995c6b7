import { describe, expect, it } from 'vitest';
import { fitSlope, type MemorySample, segmentSlopes } from '../soak/memory.js';

const MIB = 1024 * 1024;

describe('fitSlope', () => {
  it('finds the growth per hour of a straight line, with no noise', () => {
    const fit = fitSlope([0, 1, 2, 3].map((minute) => ({ minute, bytes: 100 * MIB + minute * MIB })));
    expect(fit?.mibPerHour).toBeCloseTo(60);
    expect(fit?.growthMib).toBeCloseTo(3);
    expect(fit?.noiseMib).toBeCloseTo(0);
  });

  it('needs three points', () => {
    expect(fitSlope([{ minute: 0, bytes: 1 }, { minute: 1, bytes: 2 }])).toBeUndefined();
  });
});

describe('segmentSlopes', () => {
  const sample = (node: string, life: number, minute: number, heapMib: number): MemorySample => ({
    node,
    life,
    minute,
    rssBytes: 80 * MIB,
    heapUsedBytes: heapMib * MIB,
  });

  it('fits each life of each node apart and skips the warm-up', () => {
    const samples = [
      // Warm-up (minute 0) is far off the line and must not count.
      sample('a', 0, 0, 5),
      ...[1, 2, 3, 4, 5].map((m) => sample('a', 0, m, 30 + (m % 2) * 0.5)),
      ...[6, 7, 8, 9, 10, 11].map((m) => sample('a', 1, m, 20 + (m - 6) * 4)),
    ];
    const [first, second] = segmentSlopes(samples, 1);
    expect(first?.flat).toBe(true);
    expect(first?.heap?.samples).toBe(5);
    expect(second?.flat).toBe(false);
    expect(second?.heap?.mibPerHour).toBeCloseTo(240);
  });
});
