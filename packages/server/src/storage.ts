import { type Broker, type Clock, createMemoryBroker, createMemoryStore, type Runtime, type Store } from '@fosspush/core';
import { createRedisBroker, createRedisStore } from '@fosspush/store-redis';
import { createSqliteStore } from '@fosspush/store-sqlite';
import type { Logger } from '@fosspush/core';
import type { StorageOptions } from './options.js';

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
        onError: throttled(runtime.clock, (error: Error, suppressed: number) => logger.warn('redis_error', { error, suppressed })),
      };
      return owned(createRedisStore({ ...connection, runtime }), createRedisBroker(connection));
    }
    case 'custom':
      return { store: options.store, broker: options.broker, close: async () => undefined };
  }
}

/** ioredis reports every reconnect attempt: one log line per 10 s is enough to see an outage. */
function throttled(clock: Clock, log: (error: Error, suppressed: number) => void, intervalMs = 10_000): (error: Error) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let suppressed = 0;
  return (error) => {
    const now = clock.now();
    if (now - lastAt < intervalMs) {
      suppressed++;
      return;
    }
    log(error, suppressed);
    lastAt = now;
    suppressed = 0;
  };
}
