import { importOptional, type Runtime, type Store } from '@fosspush/core';

/**
 * Where topic membership lives, chosen as the push server's storage is: SQLite embedded by
 * default (one app-server node), Redis to share membership between app-server nodes, memory
 * for tests, or any `Store` you already have.
 */
export type TopicStoreOption =
  | {
      kind: 'sqlite';
      /**
       * Database file, created if missing.
       * @default 'fosspush-topics.sqlite'
       */
      path?: string;
    }
  | {
      kind: 'redis';
      /** @default 'redis://127.0.0.1:6379' */
      url?: string;
      /** @default 'fosspush:' */
      keyPrefix?: string;
    }
  | { kind: 'memory' }
  /** A store you opened; the sender leaves it open on close. */
  | { kind: 'custom'; store: Store };

export const TOPIC_STORE_DEFAULTS = { kind: 'sqlite', path: 'fosspush-topics.sqlite' } as const satisfies TopicStoreOption;

export interface OpenedTopicStore {
  store: Store;
  close(): Promise<void>;
}

/**
 * Opens the membership store. The SQLite and Redis drivers are imported only here, on the
 * first topic call, so a sender that never uses topics does not need them installed.
 */
export async function openTopicStore(option: TopicStoreOption = TOPIC_STORE_DEFAULTS, runtime: Partial<Runtime> | undefined): Promise<OpenedTopicStore> {
  const owned = (store: Store): OpenedTopicStore => ({ store, close: () => store.close() });
  switch (option.kind) {
    case 'memory': {
      const { createMemoryStore } = await import('@fosspush/core');
      return owned(createMemoryStore({ runtime }));
    }
    case 'sqlite': {
      const { createSqliteStore } = await importOptional('@fosspush/store-sqlite', 'a topic store on SQLite', () => import('@fosspush/store-sqlite'));
      return owned(createSqliteStore({ path: option.path ?? TOPIC_STORE_DEFAULTS.path, runtime }));
    }
    case 'redis': {
      const { createRedisStore } = await importOptional('@fosspush/store-redis', 'a topic store on Redis', () => import('@fosspush/store-redis'));
      return owned(
        createRedisStore({ runtime, url: option.url, keyPrefix: option.keyPrefix }),
      );
    }
    case 'custom':
      return { store: option.store, close: async () => undefined };
  }
}
