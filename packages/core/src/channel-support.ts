import type { FosspushError } from './errors.js';

/**
 * Small pieces every Channel implementation needs, kept here so the WebSocket/SSE and IMAP
 * channels share one copy.
 */

/**
 * Runs tasks one at a time in call order; a failed task does not stop the next. Channels run
 * subscribe and unsubscribe through one, since both rewrite the stored registration list.
 */
export function createSerialQueue(): <T>(task: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => Promise<T>) => {
    const run = tail.then(task, task);
    tail = run.catch(() => undefined);
    return run;
  };
}

/** Callers of `connect()` waiting for the first ready session, settled all at once. */
export interface ConnectWaiters {
  wait(): Promise<void>;
  /** Resolves every waiter, or rejects them all with `error`. */
  settle(error?: FosspushError): void;
}

export function createConnectWaiters(): ConnectWaiters {
  let waiters: Array<{ resolve(): void; reject(error: FosspushError): void }> = [];
  return {
    wait: () => new Promise<void>((resolve, reject) => waiters.push({ resolve, reject })),
    settle(error) {
      const settled = waiters;
      waiters = [];
      for (const waiter of settled) {
        if (error) waiter.reject(error);
        else waiter.resolve();
      }
    },
  };
}
