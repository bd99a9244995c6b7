import type { Clock } from '@fosspush/core';

/**
 * Logs at most one line per interval and counts the rest: an outage (Redis gone) fails every
 * request and every reconnect attempt, and one line per 10 s is enough to see it.
 */
export function throttledLog<A extends unknown[]>(
  clock: Clock,
  log: (suppressed: number, ...args: A) => void,
  intervalMs = 10_000,
): (...args: A) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (...args) => {
    const now = clock.now();
    if (now - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    log(suppressed, ...args);
    lastAt = now;
    suppressed = 0;
  };
}
