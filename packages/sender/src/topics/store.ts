import { FosspushError, type Runtime, type Store } from '@fosspush/core';

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

async function importDriver<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    throw new FosspushError('INTERNAL', `topics on this store need the optional peer dependency ${name}: install it next to @fosspush/sender`, {
      cause,
      details: { package: name },
    });
  }
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
      const { createSqliteStore } = await importDriver('@fosspush/store-sqlite', () => import('@fosspush/store-sqlite'));
      return owned(createSqliteStore({ path: option.path ?? TOPIC_STORE_DEFAULTS.path, runtime }));
    }
    case 'redis': {
      const { createRedisStore } = await importDriver('@fosspush/store-redis', () => import('@fosspush/store-redis'));
      return owned(
        createRedisStore({ runtime, url: option.url, keyPrefix: option.keyPrefix }),
      );
    }
    case 'custom':
      return { store: option.store, close: async () => undefined };
  }
}
