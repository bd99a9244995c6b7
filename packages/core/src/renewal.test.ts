import { describe, expect, it } from 'vitest';
import { createDueTimer, renewalTime } from './renewal.js';
import { manualClock } from './runtime.js';

const fixedRandom = (byte: number) => ({ bytes: (length: number) => new Uint8Array(length).fill(byte) });

describe('renewalTime', () => {
  it('renews at 80% of the lifetime, minus up to 10% of it at random', () => {
    const day = 86_400_000;
    expect(renewalTime(1_000, 1_000 + day, fixedRandom(0))).toBe(1_000 + 0.8 * day);
    const latestJitter = renewalTime(1_000, 1_000 + day, fixedRandom(255));
    expect(latestJitter).toBeLessThan(1_000 + 0.7 * day + 1_000);
    expect(latestJitter).toBeGreaterThanOrEqual(1_000 + 0.7 * day);
    expect(renewalTime(0, 100, fixedRandom(0), { renewAtFraction: 0.5 })).toBe(50);
  });

  it('renews at once what is already expired', () => {
    expect(renewalTime(5_000, 4_000, fixedRandom(128))).toBe(5_000);
  });
});

describe('createDueTimer', () => {
  it('runs once at the due time, and a new schedule replaces the old one', () => {
    const clock = manualClock(0);
    const runs: number[] = [];
    const timer = createDueTimer(clock, clock.timers, () => runs.push(clock.now()));
    timer.schedule(1_000);
    timer.schedule(2_000);
    clock.advance(1_500);
    expect(runs).toEqual([]);
    clock.advance(1_000);
    expect(runs).toEqual([2_000]);
    timer.schedule(3_000);
    timer.cancel();
    clock.advance(5_000);
    expect(runs).toEqual([2_000]);
  });

  it('waits past what one platform timer can, in steps', () => {
    const clock = manualClock(0);
    const runs: number[] = [];
    const sixtyDays = 60 * 86_400_000;
    createDueTimer(clock, clock.timers, () => runs.push(clock.now())).schedule(sixtyDays);
    expect(clock.pendingTimers()).toEqual([2 ** 31 - 1]);
    clock.advance(sixtyDays - 1);
    expect(runs).toEqual([]);
    clock.advance(1);
    expect(runs).toEqual([sixtyDays]);
  });

  it('runs at once for a time already past', () => {
    const clock = manualClock(10_000);
    let ran = 0;
    createDueTimer(clock, clock.timers, () => ran++).schedule(5_000);
    clock.advance(0);
    expect(ran).toBe(1);
  });
});
