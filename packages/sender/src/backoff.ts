import type { RandomSource } from '@fosspush/core';

/** A uniform number in [0, 1) from the injected random source, so tests can seed the jitter. */
export function randomFraction(random: RandomSource): number {
  const bytes = random.bytes(4);
  return new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) / 2 ** 32;
}

/**
 * "Full jitter" exponential backoff: a wait drawn uniformly from [0, min(max, base * 2^retry)).
 * Spreading retries over the whole window keeps a fleet of senders from hammering a
 * recovering push service in lockstep.
 */
export function backoffDelayMs(retry: number, options: { backoffMs: number; maxBackoffMs: number }, random: RandomSource): number {
  const ceiling = Math.min(options.maxBackoffMs, options.backoffMs * 2 ** retry);
  return Math.floor(randomFraction(random) * ceiling);
}
