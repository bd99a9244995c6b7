/**
 * Platform primitives that every component takes as options, so tests can pass a fake clock,
 * fake timers or a seeded random source, and `core` stays free of any one platform.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface RandomSource {
  /** `length` cryptographically strong random bytes. */
  bytes(length: number): Uint8Array;
}

/** What a timer handle is depends on the platform (a number in browsers, an object in Node). */
export type TimerHandle = unknown;

/** One-shot timers: the only way fosspush code waits, so a test can run a schedule without waiting. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  /** Cancels a timer that has not run; a handle that already ran (or `undefined`) is ignored. */
  clearTimeout(handle: TimerHandle): void;
}

export interface Runtime {
  clock: Clock;
  random: RandomSource;
  timers: Timers;
}

export const systemClock: Clock = { now: () => Date.now() };

export const cryptoRandom: RandomSource = {
  bytes(length) {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65536 bytes per call.
    for (let offset = 0; offset < length; offset += 65536) {
      globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
    }
    return out;
  },
};

export const systemTimers: Timers = {
  setTimeout: (callback, delayMs) => globalThis.setTimeout(callback, delayMs),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
};

export const defaultRuntime: Runtime = { clock: systemClock, random: cryptoRandom, timers: systemTimers };

/** Fills in the platform defaults for whatever the caller did not inject. */
export function resolveRuntime(partial: Partial<Runtime> = {}): Runtime {
  return {
    clock: partial.clock ?? systemClock,
    random: partial.random ?? cryptoRandom,
    timers: partial.timers ?? systemTimers,
  };
}

/** A clock that only moves when told to, with timers that run as it passes their due time. */
export interface ManualClock extends Clock {
  /**
   * Moves the clock forward by `ms`, running every timer that falls due on the way, in order of
   * due time (timers due at the same time in the order they were set). A timer set by one that
   * runs is itself run if it falls due within the same advance.
   */
  advance(ms: number): void;
  /** Moves the clock to `ms`: forward as `advance` does, or back without running anything. */
  set(ms: number): void;
  /** Timers driven by this clock: pass them as `runtime.timers` beside the clock. */
  readonly timers: Timers;
  /** The due times of the timers that have not run yet, soonest first. */
  pendingTimers(): number[];
}

/**
 * A clock for tests of TTL expiry, timeouts and retry schedules.
 *
 * @example
 * const clock = manualClock();
 * const channel = createImapChannel({ ...options, runtime: { clock, timers: clock.timers } });
 * clock.advance(30_000); // runs the retry the channel scheduled
 */
export function manualClock(startMs = 0): ManualClock {
  let nowMs = startMs;
  let nextId = 0;
  // Few timers at once in any test: a sorted scan is simpler than a heap and fast enough.
  const pending = new Map<number, { dueMs: number; callback: () => void }>();

  const nextDue = (untilMs: number): number | undefined => {
    let found: number | undefined;
    for (const [id, timer] of pending) {
      if (timer.dueMs > untilMs) continue;
      if (found === undefined || timer.dueMs < (pending.get(found)?.dueMs ?? Number.POSITIVE_INFINITY)) found = id;
    }
    return found;
  };

  const advanceTo = (targetMs: number) => {
    for (let id = nextDue(targetMs); id !== undefined; id = nextDue(targetMs)) {
      const timer = pending.get(id);
      pending.delete(id);
      if (timer === undefined) continue;
      nowMs = Math.max(nowMs, timer.dueMs);
      timer.callback();
    }
    nowMs = Math.max(nowMs, targetMs);
  };

  return {
    now: () => nowMs,
    advance(ms) {
      advanceTo(nowMs + ms);
    },
    set(ms) {
      if (ms >= nowMs) advanceTo(ms);
      else nowMs = ms;
    },
    timers: {
      setTimeout(callback, delayMs) {
        const id = nextId++;
        pending.set(id, { dueMs: nowMs + Math.max(0, delayMs), callback });
        return id;
      },
      clearTimeout(handle) {
        pending.delete(handle as number);
      },
    },
    pendingTimers: () => [...pending.values()].map((timer) => timer.dueMs).sort((a, b) => a - b),
  };
}
