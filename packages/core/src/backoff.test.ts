import { describe, expect, it } from 'vitest';
import { createReconnectScheduler, fullJitterDelayMs, randomFraction } from './backoff.js';
import type { RandomSource, Timers } from './runtime.js';

/** Returns the given fractions in turn, as 32-bit big-endian random bytes. */
function scriptedRandom(fractions: number[]): RandomSource {
  let next = 0;
  return {
    bytes(length) {
      const value = Math.floor((fractions[next++ % fractions.length] as number) * 2 ** 32);
      const out = new Uint8Array(length);
      new DataView(out.buffer).setUint32(0, Math.min(value, 2 ** 32 - 1));
      return out;
    },
  };
}

function fakeTimers() {
  const scheduled: Array<{ callback: () => void; delayMs: number; cleared: boolean }> = [];
  const timers: Timers = {
    setTimeout(callback, delayMs) {
      scheduled.push({ callback, delayMs, cleared: false });
      return scheduled.length - 1;
    },
    clearTimeout(handle) {
      const entry = scheduled[handle as number];
      if (entry) entry.cleared = true;
    },
  };
  return { timers, scheduled };
}

describe('full-jitter backoff', () => {
  const options = { initialDelayMs: 100, maxDelayMs: 1_000 };

  it('draws from a window that doubles per attempt up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((attempt) => fullJitterDelayMs(attempt, options, 0.999_999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(fullJitterDelayMs(3, options, 0.5)).toBe(400);
    expect(fullJitterDelayMs(3, options, 0)).toBe(0);
    expect(fullJitterDelayMs(10_000, options, 0.25)).toBe(250);
  });

  it('reads a fraction in [0, 1) from four random bytes', () => {
    expect(randomFraction({ bytes: () => new Uint8Array([0, 0, 0, 0]) })).toBe(0);
    expect(randomFraction({ bytes: () => new Uint8Array([0x80, 0, 0, 0]) })).toBe(0.5);
    expect(randomFraction({ bytes: () => new Uint8Array([255, 255, 255, 255]) })).toBeLessThan(1);
  });

  it('schedules retries on the injected timers, growing until reset', () => {
    const { timers, scheduled } = fakeTimers();
    const scheduler = createReconnectScheduler({ ...options, resetAfterMs: 5_000 }, { random: scriptedRandom([0.5]), timers });
    let retries = 0;
    const delays = [1, 2, 3, 4, 5].map(() => scheduler.schedule(() => retries++));
    expect(delays).toEqual([50, 100, 200, 400, 500]);
    expect(scheduled.map((s) => s.delayMs)).toEqual(delays);
    // Each schedule replaced the one before: only the last is live.
    expect(scheduled.map((s) => s.cleared)).toEqual([true, true, true, true, false]);
    scheduled.at(-1)?.callback();
    expect(retries).toBe(1);
    expect(scheduler.attempt).toBe(5);
    scheduler.reset();
    expect(scheduler.schedule(() => retries++)).toBe(50);
  });

  it("waits at least a server's Retry-After", () => {
    const { timers } = fakeTimers();
    const scheduler = createReconnectScheduler({ ...options, resetAfterMs: 5_000 }, { random: scriptedRandom([0.125]), timers });
    expect(scheduler.schedule(() => undefined, 30_000)).toBe(30_000);
    expect(scheduler.schedule(() => undefined, 1)).toBe(25);
  });

  it('cancel stops a pending retry', () => {
    const { timers, scheduled } = fakeTimers();
    const scheduler = createReconnectScheduler({ ...options, resetAfterMs: 5_000 }, { random: scriptedRandom([0.5]), timers });
    scheduler.schedule(() => undefined);
    expect(scheduler.pending).toBe(true);
    scheduler.cancel();
    expect(scheduled[0]?.cleared).toBe(true);
    expect(scheduler.pending).toBe(false);
  });
});
