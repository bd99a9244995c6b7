import { FosspushError } from './errors.js';
import type { TimerHandle, Timers } from './runtime.js';

/** Rejects with TIMEOUT when `work` has not settled within `timeoutMs`. */
export async function withTimeout<T>(work: Promise<T>, timeoutMs: number, timers: Timers, what: string): Promise<T> {
  let handle: TimerHandle;
  const timeout = new Promise<never>((_, reject) => {
    handle = timers.setTimeout(() => reject(new FosspushError('TIMEOUT', `${what} took longer than ${timeoutMs} ms`, { details: { timeoutMs } })), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    timers.clearTimeout(handle);
  }
}

/**
 * Resolves `done` after `delayMs` on `timers`; `cancel` ends the wait early without settling it.
 *
 * @example
 * await delay(backoffMs, runtime.timers).done;
 */
export function delay(delayMs: number, timers: Timers): { done: Promise<void>; cancel(): void } {
  let handle: TimerHandle;
  const done = new Promise<void>((resolve) => {
    handle = timers.setTimeout(resolve, delayMs);
  });
  return { done, cancel: () => timers.clearTimeout(handle) };
}
