import { type Broker, createMemoryBroker, createMemoryStore, FosspushError, type Logger, type Runtime, type Store } from '@fosspush/core';
import { createRedisBroker, createRedisStore } from '@fosspush/store-redis';
import { createSqliteStore } from '@fosspush/store-sqlite';
import type { StorageOptions } from './options.js';
import { throttledLog } from './throttled-log.js';

export interface Storage {
  store: Store;
  broker: Broker;
  /** Closes what the server created; a custom store and broker stay open. */
  close(): Promise<void>;
}

export function openStorage(options: StorageOptions, runtime: Runtime, logger: Logger): Storage {
  const owned = (store: Store, broker: Broker): Storage => ({
    store,
    broker,
    async close() {
      await broker.close();
      await store.close();
    },
  });
  switch (options.kind) {
    case 'memory':
      return owned(createMemoryStore({ runtime }), createMemoryBroker());
    case 'sqlite':
      // One node: the broker is a function call, the file is the only shared state.
      return owned(createSqliteStore({ path: options.path, runtime, ...(options.synchronous ? { synchronous: options.synchronous } : {}) }), createMemoryBroker());
    case 'redis': {
      const connection = {
        url: options.url,
        keyPrefix: options.keyPrefix,
        onError: throttledLog(runtime.clock, (suppressed, error: Error) => logger.warn('redis_error', { error, suppressed })),
      };
      return owned(createRedisStore({ ...connection, runtime }), createRedisBroker(connection));
    }
    case 'custom':
      return { store: options.store, broker: options.broker, close: async () => undefined };
  }
}

/**
 * A store write refused for lack of room, as STORAGE_FULL (HTTP 507), or undefined for any
 * other error. SQLite says SQLITE_FULL when the disk (or its page limit) is full; Redis says
 * OOM when it reached maxmemory with a no-eviction policy.
 */
export function storageFullError(error: unknown): FosspushError | undefined {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'STORAGE_FULL') return cause as FosspushError;
    if (code === 'SQLITE_FULL' || cause.message.startsWith('OOM ')) {
      return new FosspushError('STORAGE_FULL', 'the push service has no room to store the message: retry later', { cause: error });
    }
  }
  return undefined;
}
