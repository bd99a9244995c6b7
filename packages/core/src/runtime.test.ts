import { describe, expect, it } from 'vitest';
import { cryptoRandom, manualClock, resolveRuntime, systemClock, systemTimers } from './runtime.js';
import { delay, withTimeout } from './timing.js';

describe('manualClock', () => {
  it('runs timers as it passes their due time, soonest first, ties in the order set', () => {
    const clock = manualClock(1_000);
    const ran: string[] = [];
    clock.timers.setTimeout(() => ran.push(`b@${clock.now()}`), 200);
    clock.timers.setTimeout(() => ran.push(`a@${clock.now()}`), 100);
    clock.timers.setTimeout(() => ran.push(`c@${clock.now()}`), 200);
    clock.advance(99);
    expect(ran).toEqual([]);
    expect(clock.pendingTimers()).toEqual([1_100, 1_200, 1_200]);
    clock.advance(150);
    expect(ran).toEqual(['a@1100', 'b@1200', 'c@1200']);
    expect(clock.now()).toBe(1_249);
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('runs a timer set by a timer when it falls due within the same advance', () => {
    const clock = manualClock();
    const ran: number[] = [];
    clock.timers.setTimeout(() => {
      ran.push(clock.now());
      clock.timers.setTimeout(() => ran.push(clock.now()), 50);
      clock.timers.setTimeout(() => ran.push(clock.now()), 500);
    }, 10);
    clock.advance(100);
    expect(ran).toEqual([10, 60]);
    expect(clock.pendingTimers()).toEqual([510]);
  });

  it('clearTimeout cancels; a zero or negative delay runs on the next advance, not at once', () => {
    const clock = manualClock();
    let runs = 0;
    const handle = clock.timers.setTimeout(() => runs++, 10);
    clock.timers.clearTimeout(handle);
    clock.timers.clearTimeout(undefined);
    clock.timers.setTimeout(() => runs++, -5);
    expect(runs).toBe(0);
    clock.advance(0);
    expect(runs).toBe(1);
    clock.advance(100);
    expect(runs).toBe(1);
  });

  it('set moves forward like advance, and back without running anything', () => {
    const clock = manualClock(100);
    let runs = 0;
    clock.timers.setTimeout(() => runs++, 50);
    clock.set(20);
    expect(runs).toBe(0);
    expect(clock.now()).toBe(20);
    clock.set(150);
    expect(runs).toBe(1);
  });
});

describe('resolveRuntime', () => {
  it('fills in the platform defaults, an explicit undefined included', () => {
    const clock = manualClock();
    const runtime = resolveRuntime({ clock, timers: undefined } as never);
    expect(runtime.clock).toBe(clock);
    expect(runtime.random).toBe(cryptoRandom);
    expect(runtime.timers).toBe(systemTimers);
    expect(resolveRuntime().clock).toBe(systemClock);
  });
});

describe('timing on injected timers', () => {
  it('withTimeout rejects with TIMEOUT once the clock passes the limit, and clears its timer on success', async () => {
    const clock = manualClock();
    const slow = withTimeout(new Promise(() => undefined), 1_000, clock.timers, 'the thing');
    clock.advance(999);
    clock.advance(1);
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', message: 'the thing took longer than 1000 ms', details: { timeoutMs: 1_000 } });
    await expect(withTimeout(Promise.resolve(7), 1_000, clock.timers, 'quick')).resolves.toBe(7);
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('delay resolves when the clock gets there; cancel leaves it pending', async () => {
    const clock = manualClock();
    let resolved = false;
    const wait = delay(500, clock.timers);
    void wait.done.then(() => {
      resolved = true;
    });
    clock.advance(499);
    await Promise.resolve();
    expect(resolved).toBe(false);
    clock.advance(1);
    await wait.done;
    expect(resolved).toBe(true);
    const cancelled = delay(10, clock.timers);
    cancelled.cancel();
    expect(clock.pendingTimers()).toEqual([]);
  });
});
