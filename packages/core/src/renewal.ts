import { randomFraction } from './backoff.js';
import type { Clock, RandomSource, TimerHandle, Timers } from './runtime.js';
import { withDefaults } from './with-defaults.js';

/**
 * When a channel renews what the far side grants for a limited time (a push endpoint that
 * expires, a lease): well before the end, and not at the same instant for everything granted
 * together.
 */
export interface RenewalPolicy {
  /** Renew after this share of the lifetime. @default 0.8 */
  renewAtFraction: number;
  /**
   * Up to this share of the lifetime is taken off at random, so registrations made together
   * (a daemon's first start) do not all renew in the same second.
   * @default 0.1
   */
  jitterFraction: number;
}

export const RENEWAL_DEFAULTS = {
  renewAtFraction: 0.8,
  jitterFraction: 0.1,
} satisfies RenewalPolicy;

/**
 * The time to renew something granted at `grantedAtMs` until `expiresAtMs`: at
 * `renewAtFraction` of the lifetime, minus a random part of up to `jitterFraction` of it.
 *
 * @example
 * const renewAtMs = renewalTime(clock.now(), registered.expiresAt, runtime.random);
 */
export function renewalTime(grantedAtMs: number, expiresAtMs: number, random: RandomSource, policy: Partial<RenewalPolicy> = {}): number {
  const { renewAtFraction, jitterFraction } = withDefaults(RENEWAL_DEFAULTS, policy);
  const lifetimeMs = Math.max(0, expiresAtMs - grantedAtMs);
  return Math.round(grantedAtMs + lifetimeMs * renewAtFraction - lifetimeMs * jitterFraction * randomFraction(random));
}

/** Platform timers overflow past 2^31-1 ms (about 24.8 days) and would fire at once. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface DueTimer {
  /** Runs `onDue` at `atMs` (now when it is past), replacing what was scheduled; `undefined` cancels. */
  schedule(atMs: number | undefined): void;
  cancel(): void;
}

/**
 * One timer for "the next renewal is due at": a wait longer than a platform timer allows is
 * taken in steps, so a lifetime of months is fine.
 */
export function createDueTimer(clock: Clock, timers: Timers, onDue: () => void): DueTimer {
  let handle: TimerHandle | undefined;
  const cancel = () => {
    if (handle !== undefined) timers.clearTimeout(handle);
    handle = undefined;
  };
  const schedule = (atMs: number | undefined) => {
    cancel();
    if (atMs === undefined) return;
    const waitMs = Math.max(0, atMs - clock.now());
    handle = timers.setTimeout(() => {
      handle = undefined;
      if (clock.now() >= atMs) onDue();
      else schedule(atMs);
    }, Math.min(waitMs, MAX_TIMER_DELAY_MS));
  };
  return { schedule, cancel };
}
