import { manualClock } from '@fosspush/core';

/** The timer pair the channels and device-wire handlers take as `timers`. */
export interface TimersLike {
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

interface Pending {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * Timers on a manual clock: nothing fires until the test moves time with `advance` or
 * `runNext`, and then callbacks fire in due order with the clock set to their due time.
 * Real sockets keep working in between, so a test can run an hour of heartbeats in moments.
 */
export function manualTimers(startMs = 1_700_000_000_000) {
  const clock = manualClock(startMs);
  const pending = new Map<number, Pending>();
  let nextId = 1;

  const due = (untilMs: number) => {
    let first: Pending | undefined;
    for (const timer of pending.values()) {
      if (timer.at <= untilMs && (first === undefined || timer.at < first.at || (timer.at === first.at && timer.id < first.id))) first = timer;
    }
    return first;
  };

  const fire = (timer: Pending) => {
    pending.delete(timer.id);
    if (timer.at > clock.now()) clock.set(timer.at);
    timer.callback();
  };

  const timers: TimersLike = {
    setTimeout(callback, delayMs) {
      const id = nextId++;
      pending.set(id, { id, at: clock.now() + Math.max(0, delayMs), callback });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };

  return {
    clock,
    timers,
    /** When the next timer is due, or undefined when none is pending. */
    nextDueAt(): number | undefined {
      return due(Number.POSITIVE_INFINITY)?.at;
    },
    /** Fires the next timer due by `untilMs` (moving the clock to it); false when there is none. */
    runNext(untilMs = Number.POSITIVE_INFINITY): boolean {
      const timer = due(untilMs);
      if (timer === undefined) return false;
      fire(timer);
      return true;
    },
    /**
     * Moves the clock `ms` forward, firing every timer that falls due on the way, and awaits
     * `settle` after each so that the I/O it started (a ping, a write) completes first.
     */
    async advance(ms: number, settle: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve))): Promise<void> {
      const until = clock.now() + ms;
      for (let timer = due(until); timer !== undefined; timer = due(until)) {
        fire(timer);
        await settle();
      }
      clock.set(until);
    },
    get pendingCount(): number {
      return pending.size;
    },
  };
}

export type ManualTimers = ReturnType<typeof manualTimers>;
