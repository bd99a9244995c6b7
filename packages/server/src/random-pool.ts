import { randomFillSync } from 'node:crypto';
import type { RandomSource } from '@fosspush/core';

/**
 * Cryptographically strong random bytes served from a pool refilled in blocks: every accepted
 * message needs a fresh 128-bit id, and one getRandomValues call per id costs more than the id.
 */
export function pooledRandom(poolBytes = 4096): RandomSource {
  const pool = Buffer.allocUnsafe(poolBytes);
  let offset = poolBytes;
  return {
    bytes(length) {
      if (length > poolBytes) return randomFillSync(new Uint8Array(length));
      if (offset + length > poolBytes) {
        randomFillSync(pool);
        offset = 0;
      }
      // A copy: handing out views of the pool would let a caller see later ids.
      const out = new Uint8Array(length);
      out.set(pool.subarray(offset, offset + length));
      offset += length;
      return out;
    },
  };
}
