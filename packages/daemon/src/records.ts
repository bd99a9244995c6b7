import type { ChannelStateStore, Store, StoreRecord } from '@fosspush/core';

/**
 * Small durable text records in one namespace of the daemon's SQLite store (`Store.putRecord`):
 * app credentials, channel state, UnifiedPush tokens, dropped-message counts. Each write is one
 * durable upsert, so a record is either old or new after a crash, never half-written.
 */
export interface Records extends ChannelStateStore {
  list(): Promise<{ key: string; value: string }[]>;
}

/** Every value this module writes is a JSON string; anything else is not one of its records. */
const textOf = (record: StoreRecord | undefined) => (typeof record?.value === 'string' ? record.value : undefined);

export function createRecords(store: Store, namespace: string): Records {
  return {
    async get(key) {
      return textOf(await store.getRecord(namespace, key));
    },
    async set(key, value) {
      await store.putRecord(namespace, { id: key, value });
    },
    async delete(key) {
      await store.deleteRecord(namespace, key);
    },
    async list() {
      return (await store.listRecords(namespace)).map((record) => ({ key: record.id, value: textOf(record) ?? '' }));
    },
  };
}
