import { describe, expect, it } from 'vitest';
import { pooledRandom } from './random-pool.js';

describe('pooledRandom', () => {
  it('never hands out the same bytes twice, across refills', () => {
    const random = pooledRandom(64);
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(Buffer.from(random.bytes(16)).toString('hex'));
    expect(seen.size).toBe(100);
  });

  it('serves requests larger than the pool', () => {
    expect(pooledRandom(16).bytes(100)).toHaveLength(100);
  });

  it('returns copies that later draws do not change', () => {
    const random = pooledRandom(32);
    const first = random.bytes(16);
    const snapshot = Buffer.from(first).toString('hex');
    random.bytes(16);
    random.bytes(16);
    expect(Buffer.from(first).toString('hex')).toBe(snapshot);
  });
});
