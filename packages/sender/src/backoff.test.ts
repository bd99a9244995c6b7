import { describe, expect, it } from 'vitest';
import { backoffDelayMs, randomFraction } from './backoff.js';

const fixed = (byte: number) => ({ bytes: (length: number) => new Uint8Array(length).fill(byte) });
const half = { bytes: () => Uint8Array.of(0x80, 0, 0, 0) };
const options = { backoffMs: 1000, maxBackoffMs: 60_000 };

describe('backoff', () => {
  it('reads the random source as a fraction in [0, 1)', () => {
    expect(randomFraction(fixed(0))).toBe(0);
    expect(randomFraction(half)).toBe(0.5);
    expect(randomFraction(fixed(0xff))).toBeLessThan(1);
  });

  it('doubles the ceiling per retry and draws the wait below it (full jitter)', () => {
    expect([0, 1, 2, 3].map((retry) => backoffDelayMs(retry, options, half))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelayMs(3, options, fixed(0xff))).toBe(7999);
    expect(backoffDelayMs(3, options, fixed(0))).toBe(0);
  });

  it('caps the ceiling at maxBackoffMs', () => {
    expect(backoffDelayMs(20, options, half)).toBe(30_000);
  });
});
