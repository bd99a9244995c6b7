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
} as const;

/**
 * A client that fails fast when Redis is gone: a push service should answer 503 rather than
 * hold requests open while ioredis reconnects for ever.
 */
export function connectRedis(options: RedisConnectionOptions): Redis {
  const client = new Redis(options.url ?? REDIS_CONNECTION_DEFAULTS.url, {
    maxRetriesPerRequest: 2,
    connectTimeout: 5000,
    ...options.redisOptions,
  });
  client.on('error', (error: Error) => options.onError?.(error));
  return client;
}

/** Keeps FosspushErrors, and reports anything else from Redis as the service being unavailable. */
export function toStoreError(error: unknown): FosspushError {
  if (isFosspushError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FosspushError('UNAVAILABLE', `redis: ${message}`, { cause: error });
}
