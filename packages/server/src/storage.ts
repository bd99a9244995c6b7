import { type Broker, createMemoryBroker, createMemoryStore, FosspushError, importOptional, type Logger, type Runtime, type Store } from '@fosspush/core';
import type { StorageOptions } from './options.js';
import { throttledLog } from './throttled-log.js';

export interface Storage {
  store: Store;
  broker: Broker;
  /** Resolves once the driver is imported and the store and broker are open; rejects with why not. */
  ready(): Promise<void>;
  /** Closes what the server created; a custom store and broker stay open. */
  close(): Promise<void>;
}

/**
 * The storage drivers, imported only when their storage is chosen: they are optional peer
 * dependencies, so a server on memory or a custom store installs neither better-sqlite3 nor
 * ioredis. Tests pass other importers.
 */
export const STORAGE_DRIVER_IMPORTS = {
  sqlite: () => import('@fosspush/store-sqlite'),
  redis: () => import('@fosspush/store-redis'),
};

export type StorageDriverImports = typeof STORAGE_DRIVER_IMPORTS;

/**
 * A store or broker whose driver is still being imported, for `createPushServer`, which wires
 * it in before `listen()`. Every method waits for the import (listen's first store call surfaces
 * a MISSING_DEPENDENCY); once it is done, calls go straight through. `settled` is the loaded
 * object, or undefined when the import failed, for `close()`.
 */
function whenLoaded<T extends object>(loading: Promise<T>): { value: T; settled: Promise<T | undefined> } {
  let loaded: T | undefined;
  const settled = loading.then(
    (value) => {
      loaded = value;
      return value;
    },
    () => undefined,
  );
  const forwarders = new Map<string, (...args: unknown[]) => unknown>();
  const forwarder = (method: string) => (...args: unknown[]) => {
    const call = (target: T) => (target as Record<string, (...args: unknown[]) => unknown>)[method]?.(...args);
    return loaded === undefined ? loading.then(call) : call(loaded);
  };
  const value = new Proxy({} as T, {
    get(_target, property) {
      // Not a thenable (awaiting the store must not wait on it), and no symbol members.
      if (typeof property !== 'string' || property === 'then') return undefined;
      // The optional synchronous fast path (`enqueueSync`, `ackSync`, `publishSync`) cannot wait
      // for an import: absent until the driver is loaded, then there only if the driver has it.
      if (property.endsWith('Sync') && typeof (loaded as Record<string, unknown> | undefined)?.[property] !== 'function') return undefined;
      let forward = forwarders.get(property);
      if (forward === undefined) {
        forward = forwarder(property);
        forwarders.set(property, forward);
      }
      return forward;
    },
  });
  return { value, settled };
}

function ownedStorage(store: Store, broker: Broker): Storage {
  return {
    store,
    broker,
    ready: async () => undefined,
    async close() {
      await broker.close();
      await store.close();
    },
  };
}

/** A store and broker from a driver still being imported; closing waits for it, and closes nothing if it failed. */
function loadedStorage(store: Promise<Store>, broker: Promise<Broker>): Storage {
  const lazyStore = whenLoaded(store);
  const lazyBroker = whenLoaded(broker);
  return {
    store: lazyStore.value,
    broker: lazyBroker.value,
    ready: async () => {
      await Promise.all([store, broker]);
    },
    async close() {
      await (await lazyBroker.settled)?.close();
      await (await lazyStore.settled)?.close();
    },
  };
}

export function openStorage(options: StorageOptions, runtime: Runtime, logger: Logger, imports: StorageDriverImports = STORAGE_DRIVER_IMPORTS): Storage {
  switch (options.kind) {
    case 'memory':
      return ownedStorage(createMemoryStore({ runtime }), createMemoryBroker());
    case 'sqlite': {
      const driver = importOptional('@fosspush/store-sqlite', 'SQLite storage', imports.sqlite);
      // One node: the broker is a function call, the file is the only shared state.
      const store = driver.then(({ createSqliteStore }) =>
        createSqliteStore({ path: options.path, runtime, ...(options.synchronous ? { synchronous: options.synchronous } : {}) }),
      );
      return loadedStorage(store, Promise.resolve(createMemoryBroker()));
    }
    case 'redis': {
      const driver = importOptional('@fosspush/store-redis', 'Redis storage', imports.redis);
      const connection = {
        url: options.url,
        keyPrefix: options.keyPrefix,
        onError: throttledLog(runtime.clock, (suppressed, error: Error) => logger.warn('redis_error', { error, suppressed })),
      };
      return loadedStorage(
        driver.then(({ createRedisStore }) => createRedisStore({ ...connection, runtime })),
        driver.then(({ createRedisBroker }) => createRedisBroker(connection)),
      );
    }
    case 'custom':
      return { store: options.store, broker: options.broker, ready: async () => undefined, close: async () => undefined };
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
