import { FosspushError, type Runtime, type TokenChannel } from '@fosspush/core';
import type { Transport } from './transport/transport.js';

/** How a sender retries a transient failure (5xx, network error, timeout, 429). */
export interface RetryOptions {
  /**
   * Extra attempts after the first one, per token. node-gcm's default.
   * @default 5
   */
  retries?: number;
  /**
   * The first backoff ceiling; each retry doubles it (full jitter: the wait is uniform in
   * [0, ceiling)). node-gcm's `backoff` option.
   * @default 1000
   */
  backoffMs?: number;
  /**
   * The largest backoff ceiling.
   * @default 60000
   */
  maxBackoffMs?: number;
  /**
   * A `Retry-After` longer than this is not waited for: the token fails with Unavailable
   * instead, so one slow service cannot hold a batch for an hour.
   * @default 120000
   */
  maxRetryAfterMs?: number;
}

export interface EngineOptions extends RetryOptions {
  /**
   * Sends in flight at once, across all tokens of one call.
   * @default 50
   */
  concurrency?: number;
  /**
   * Per-channel transports, replacing the built-in ones: an escape hatch, and how tests
   * inject a transport.
   */
  transports?: Partial<Record<TokenChannel, Transport>>;
  /** Clock, random source (the backoff jitter) and timers (the waits between retries). */
  runtime?: Partial<Runtime>;
}

export const RETRY_DEFAULTS = {
  retries: 5,
  backoffMs: 1000,
  maxBackoffMs: 60_000,
  maxRetryAfterMs: 120_000,
} satisfies Required<RetryOptions>;

export const ENGINE_DEFAULTS = {
  ...RETRY_DEFAULTS,
  concurrency: 50,
} satisfies Required<Omit<EngineOptions, 'transports' | 'runtime'>>;

/**
 * Refuses retry settings that would retry forever or never wait (NaN, negatives, fractions):
 * a typo here must not turn one failing token into an endless loop.
 */
export function checkRetryOptions(options: RetryOptions): void {
  for (const field of ['retries', 'backoffMs', 'maxBackoffMs', 'maxRetryAfterMs'] as const) {
    const value = options[field];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new FosspushError('INVALID_REQUEST', `${field} must be a non-negative integer, got ${String(value)}`, { details: { field } });
    }
  }
}
