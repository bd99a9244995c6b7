import type { ManualClock } from '@fosspush/core';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Moves a manual clock `ms` forward one due timer at a time, awaiting `settle` after each, so
 * that the real I/O a timer starts (a ping, a write, a reconnect) completes before time moves
 * on. With real sockets and a manual clock, a test runs an hour of heartbeats in moments.
 */
export async function advanceWithIo(clock: ManualClock, ms: number, settle: () => Promise<void> = turn): Promise<void> {
  const until = clock.now() + ms;
  for (let due = clock.pendingTimers()[0]; due !== undefined && due <= until; due = clock.pendingTimers()[0]) {
    clock.set(due);
    await settle();
  }
  clock.set(until);
}
