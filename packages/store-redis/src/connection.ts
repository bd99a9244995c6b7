import { FosspushError, isFosspushError } from '@fosspush/core';
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnectionOptions {
  /**
   * `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS).
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /** Extra ioredis options (TLS, sentinels, timeouts); `url` still decides the address. */
  redisOptions?: RedisOptions;
  /**
   * A command that has no answer within this rejects with UNAVAILABLE (a hung or unreachable
   * Redis), so a request fails in about this long instead of waiting for a reconnect.
   * @default 1000
   */
  commandTimeoutMs?: number;
  /**
   * Prepended to every key and channel, so several deployments can share one Redis.
   * @default 'fosspush:'
   */
  keyPrefix?: string;
  /**
   * Connection trouble that ioredis retries by itself (it would otherwise print it). Calls
   * made while Redis is unreachable still reject, with UNAVAILABLE.
   * @default ignore
   */
  onError?: (error: Error) => void;
}

export const REDIS_CONNECTION_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  keyPrefix: 'fosspush:',
  commandTimeoutMs: 1000,
} as const;

/**
 * A client that fails fast when Redis is gone: a push service should answer 503 at once rather
 * than hold requests open while ioredis reconnects for ever. Every command is bounded by
 * `commandTimeoutMs`. Commands wait for the first connection (a server starting beside Redis),
 * but once Redis has been reached the offline queue is off: while it is unreachable a command
 * fails on the spot instead of queueing until a reconnect.
 */
export function connectRedis(options: RedisConnectionOptions): Redis {
  const client = new Redis(options.url ?? REDIS_CONNECTION_DEFAULTS.url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    commandTimeout: options.commandTimeoutMs ?? REDIS_CONNECTION_DEFAULTS.commandTimeoutMs,
    enableOfflineQueue: true,
    ...options.redisOptions,
  });
  client.once('ready', () => {
    // ioredis reads this option on every command, so switching it here takes effect at once.
    if (options.redisOptions?.enableOfflineQueue === undefined) client.options.enableOfflineQueue = false;
  });
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

/**
 * Keeps FosspushErrors, and reports anything else from Redis as the service being unavailable.
 * The message is neutral because it reaches clients in 503 bodies; what Redis said is the
 * `cause`, for the log.
 */
export function toStoreError(error: unknown): FosspushError {
  if (isFosspushError(error)) return error;
  return new FosspushError('UNAVAILABLE', 'the store is temporarily unavailable, retry later', { cause: error });
}
