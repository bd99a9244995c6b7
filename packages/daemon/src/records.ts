import { type ChannelStateStore, type Clock, type Store, systemClock } from '@fosspush/core';

/**
 * Small durable key-value records kept in the daemon's one SQLite store, as registrations under
 * reserved owners. Owners start with `~`, which no app id can (app ids start with a letter or
 * digit), so a record never shows up among an app's registrations. Each write is one durable
 * upsert, so a record is either old or new after a crash, never half-written.
 */
export interface Records extends ChannelStateStore {
  list(): Promise<{ key: string; value: string }[]>;
}

export function createRecords(store: Store, namespace: string, clock: Clock = systemClock): Records {
  const owner = `~${namespace}`;
  const idOf = (key: string) => `${owner}/${key}`;
  return {
    async get(key) {
      return (await store.getRegistration(idOf(key)))?.data['value'];
    },
    async set(key, value) {
      await store.putRegistration({ id: idOf(key), owner, createdAt: clock.now(), data: { value } });
    },
    async delete(key) {
      await store.deleteRegistration(idOf(key));
    },
    async list() {
      const rows = await store.listRegistrations(owner);
      return rows.map((row) => ({ key: row.id.slice(owner.length + 1), value: row.data['value'] ?? '' }));
    },
  };
}
