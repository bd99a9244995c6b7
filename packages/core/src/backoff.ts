import type { RandomSource, Runtime, TimerHandle } from './runtime.js';

export interface ReconnectOptions {
  /** The cap of the first retry's delay. */
  initialDelayMs: number;
  /** The cap the doubling stops at. */
  maxDelayMs: number;
  /**
   * A connection that stayed ready this long resets the schedule. Resetting on every ready
   * instead would let a server that accepts and at once drops connections be retried at the
   * initial delay forever.
   */
  resetAfterMs: number;
}

export const RECONNECT_DEFAULTS = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  resetAfterMs: 10_000,
} satisfies ReconnectOptions;

/** A uniform fraction in [0, 1) from 32 random bits. */
export function randomFraction(random: RandomSource): number {
  const [a = 0, b = 0, c = 0, d = 0] = random.bytes(4);
  return (((a << 24) >>> 0) + (b << 16) + (c << 8) + d) / 2 ** 32;
}

/**
 * Exponential backoff with full jitter (the "Full Jitter" of AWS's backoff study): the delay is
 * uniform in [0, min(maxDelayMs, initialDelayMs * 2^attempt)). Spreading retries over the
 * whole window keeps a fleet of devices (or app servers) from retrying in lockstep after a
 * server restart.
 */
export function fullJitterDelayMs(attempt: number, options: Pick<ReconnectOptions, 'initialDelayMs' | 'maxDelayMs'>, fraction: number): number {
  const cap = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.min(attempt, 52));
  return Math.floor(cap * fraction);
}

export interface ReconnectScheduler {
  /**
   * Runs `retry` after the next backoff delay, or after `minDelayMs` (a server's Retry-After)
   * when that is longer. Replaces a retry already scheduled. Returns the delay chosen.
   */
  schedule(retry: () => void, minDelayMs?: number): number;
  cancel(): void;
  /** The connection proved healthy: the next failure starts from the initial delay again. */
  reset(): void;
  /** Failures since the last reset. */
  readonly attempt: number;
  /** Whether a retry is scheduled and has not run yet. */
  readonly pending: boolean;
}

/** Retries on `runtime.timers` with full-jitter backoff drawn from `runtime.random`. */
export function createReconnectScheduler(options: ReconnectOptions, runtime: Pick<Runtime, 'random' | 'timers'>): ReconnectScheduler {
  const { random, timers } = runtime;
  let attempt = 0;
  let pending: TimerHandle | undefined;
  const cancel = () => {
    if (pending !== undefined) timers.clearTimeout(pending);
    pending = undefined;
  };
  return {
    schedule(retry, minDelayMs = 0) {
      cancel();
      const delayMs = Math.max(minDelayMs, fullJitterDelayMs(attempt, options, randomFraction(random)));
      attempt++;
      pending = timers.setTimeout(() => {
        pending = undefined;
        retry();
      }, delayMs);
      return delayMs;
    },
    cancel,
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
    get pending() {
      return pending !== undefined;
    },
  };
}
