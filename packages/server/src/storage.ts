import type { Logger } from '@fosspush/core';
import { type Broker, createMemoryBroker, createMemoryStore, type Runtime, type Store } from '@fosspush/core';
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
        ...(options.keyPrefix === undefined ? {} : { keyPrefix: options.keyPrefix }),
        onError: throttledLog(runtime.clock, (suppressed, error: Error) => logger.warn('redis_error', { error, suppressed })),
      };
      return owned(createRedisStore({ ...connection, runtime }), createRedisBroker(connection));
    }
    case 'custom':
      return { store: options.store, broker: options.broker, close: async () => undefined };
  }
}
