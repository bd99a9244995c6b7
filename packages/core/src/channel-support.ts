import type { FosspushError } from './errors.js';
import type { Clock } from './runtime.js';

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

/** What a channel dropped (hostile or broken input), counted per reason. */
export interface DropCounter<Reason extends string, Context> {
  readonly counts: Readonly<Record<Reason, number>>;
  drop(reason: Reason, context: Context): void;
}

/**
 * Counts drops per reason and hands each reason to `report` at most once per `intervalMs`,
 * with the running count: a flood of hostile values must not become a flood of log lines.
 */
export function createDropCounter<Reason extends string, Context>(
  reasons: readonly Reason[],
  clock: Clock,
  report: (reason: Reason, count: number, context: Context) => void,
  intervalMs = 60_000,
): DropCounter<Reason, Context> {
  const counts = Object.fromEntries(reasons.map((reason) => [reason, 0])) as Record<Reason, number>;
  const reportedAt = new Map<Reason, number>();
  return {
    counts,
    drop(reason, context) {
      counts[reason] += 1;
      const last = reportedAt.get(reason);
      if (last !== undefined && clock.now() - last < intervalMs) return;
      reportedAt.set(reason, clock.now());
      report(reason, counts[reason], context);
    },
  };
}
