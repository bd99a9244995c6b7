import { FosspushError } from '../errors.js';
import type { PushMessage } from '../message.js';
import { resolveRuntime } from '../runtime.js';
import {
  type EnqueueResult,
  type MessageQuery,
  type Registration,
  type Store,
  type StoredMessage,
  type StoreOptions,
  type StoreRecord,
  storedMessage,
} from '../store.js';

const DEFAULT_LIMIT = 1000;

/**
 * A store that lives and dies with the process: for tests, for the TTL-0 fast path, and as the
 * baseline the persistent drivers are measured against.
 *
 * @example
 * const store = createMemoryStore({ runtime: { clock: manualClock() } });
 */
export function createMemoryStore(options: StoreOptions = {}): Store {
  const { clock } = resolveRuntime(options.runtime);
  const registrations = new Map<string, Registration>();
  /** Registration ids by owner, in insertion order: listing one owner reads only its own. */
  const owned = new Map<string, Set<string>>();
  // Map iteration order is insertion order, which is seq order: listMessages needs no sort.
  const messages = new Map<string, StoredMessage>();
  /** The queued message of each registration and topic, so a replacement finds it at once. */
  const topics = new Map<string, string>();
  const topicKey = (message: { registrationId: string; topic?: string }) => `${message.registrationId}\n${message.topic}`;
  const seen = new Map<string, number>();
  const records = new Map<string, Map<string, StoreRecord>>();
  let lastSeq = 0;
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new FosspushError('CLOSED', 'the store is closed');
  };
  const live = (expiry: number | undefined) => expiry === undefined || expiry > clock.now();
  const remove = (message: StoredMessage) => {
    if (message.topic !== undefined) {
      const key = topicKey(message);
      if (topics.get(key) === message.id) topics.delete(key);
    }
    return messages.delete(message.id);
  };
  const liveRecords = (namespace: string) => [...(records.get(namespace)?.values() ?? [])].filter((record) => live(record.expiresAt));
  const byId = (a: StoreRecord, b: StoreRecord) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  const disown = (registration: Registration) => {
    const ids = owned.get(registration.owner);
    ids?.delete(registration.id);
    if (ids?.size === 0) owned.delete(registration.owner);
  };

  // The write is complete within the call: these are the synchronous fast path (`enqueueSync`,
  // `ackSync`) and the async methods are them in a promise.
  const enqueueSync = (registrationId: string, message: PushMessage): EnqueueResult => {
    assertOpen();
    const registration = registrations.get(registrationId);
    if (!registration || !live(registration.expiresAt)) {
      throw new FosspushError('NOT_FOUND', `no registration ${registrationId}`);
    }
    const existing = messages.get(message.id);
    if (existing) return { message: existing, created: false };
    const stored = storedMessage(message, { seq: ++lastSeq, registrationId, owner: registration.owner });
    let replacedId: string | undefined;
    if (stored.topic !== undefined) {
      const key = topicKey(stored);
      replacedId = topics.get(key);
      if (replacedId !== undefined) messages.delete(replacedId);
      topics.set(key, stored.id);
    }
    messages.set(stored.id, stored);
    return replacedId === undefined ? { message: stored, created: true } : { message: stored, created: true, replacedId };
  };
  const isSeen = (key: string) => {
    const until = seen.get(key);
    return until !== undefined && until > clock.now();
  };
  const ackSync = (messageId: string): boolean => {
    assertOpen();
    const message = messages.get(messageId);
    return message !== undefined && remove(message);
  };

  return {
    async putRegistration(registration) {
      assertOpen();
      const previous = registrations.get(registration.id);
      if (previous && previous.owner !== registration.owner) disown(previous);
      registrations.set(registration.id, { ...registration, data: { ...registration.data } });
      const ids = owned.get(registration.owner) ?? new Set<string>();
      if (ids.size === 0) owned.set(registration.owner, ids);
      ids.add(registration.id);
    },
    async getRegistration(id) {
      assertOpen();
      const registration = registrations.get(id);
      return registration && live(registration.expiresAt) ? registration : undefined;
    },
    async listRegistrations(owner) {
      assertOpen();
      const out: Registration[] = [];
      for (const id of owned.get(owner) ?? []) {
        const registration = registrations.get(id);
        if (registration && live(registration.expiresAt)) out.push(registration);
      }
      return out;
    },
    async deleteRegistration(id) {
      assertOpen();
      for (const message of messages.values()) if (message.registrationId === id) remove(message);
      const registration = registrations.get(id);
      if (!registration) return false;
      disown(registration);
      return registrations.delete(id);
    },

    async countRegistrations(owner) {
      assertOpen();
      const ids = owner === undefined ? registrations.keys() : (owned.get(owner) ?? []);
      let count = 0;
      for (const id of ids) if (live(registrations.get(id)?.expiresAt)) count++;
      return count;
    },
    async listExpiringRegistrations(owner, before, limit) {
      assertOpen();
      const out: Registration[] = [];
      for (const id of owned.get(owner) ?? []) {
        const registration = registrations.get(id);
        if (registration?.expiresAt !== undefined && registration.expiresAt <= before) out.push(registration);
      }
      return out.sort((a, b) => (a.expiresAt as number) - (b.expiresAt as number) || (a.id < b.id ? -1 : 1)).slice(0, limit);
    },

    enqueue: async (registrationId, message) => enqueueSync(registrationId, message),
    enqueueSync,
    async listMessages(query: MessageQuery) {
      assertOpen();
      const limit = query.limit ?? DEFAULT_LIMIT;
      const out: StoredMessage[] = [];
      for (const message of messages.values()) {
        if (out.length >= limit) break;
        if (query.owner !== undefined && message.owner !== query.owner) continue;
        if (query.registrationId !== undefined && message.registrationId !== query.registrationId) continue;
        if (query.afterSeq !== undefined && message.seq <= query.afterSeq) continue;
        if (live(message.expiresAt)) out.push(message);
      }
      return out;
    },
    async getMessage(id) {
      assertOpen();
      const message = messages.get(id);
      return message && live(message.expiresAt) ? message : undefined;
    },
    ack: async (messageId) => ackSync(messageId),
    ackSync,

    async markSeen(key, expiry) {
      assertOpen();
      if (isSeen(key)) return false;
      seen.set(key, expiry);
      return true;
    },
    async enqueueUnseen(registrationId, message, mark) {
      assertOpen();
      if (isSeen(mark.key)) return undefined;
      // enqueueSync throws before it changes anything, so nothing is marked for a refused message.
      const result = enqueueSync(registrationId, message);
      if (result.message.registrationId === registrationId) seen.set(mark.key, mark.expiresAt);
      return result;
    },

    async putRecord(namespace, record) {
      assertOpen();
      // Through JSON, as the persistent drivers store it: the caller's object stays its own,
      // and a value that JSON cannot hold comes back the same way from every driver.
      const copy: StoreRecord = { id: record.id, value: JSON.parse(JSON.stringify(record.value)) };
      const stored = record.expiresAt === undefined ? copy : { ...copy, expiresAt: record.expiresAt };
      const namespaced = records.get(namespace) ?? new Map<string, StoreRecord>();
      if (namespaced.size === 0) records.set(namespace, namespaced);
      namespaced.set(record.id, stored);
    },
    async getRecord(namespace, id) {
      assertOpen();
      const record = records.get(namespace)?.get(id);
      return record && live(record.expiresAt) ? record : undefined;
    },
    async deleteRecord(namespace, id) {
      assertOpen();
      const namespaced = records.get(namespace);
      const deleted = namespaced?.delete(id) ?? false;
      if (namespaced?.size === 0) records.delete(namespace);
      return deleted;
    },
    async listRecords(namespace) {
      assertOpen();
      return liveRecords(namespace).sort(byId);
    },
    async countRecords(namespace) {
      assertOpen();
      return liveRecords(namespace).length;
    },
    async listExpiringRecords(namespace, before, limit) {
      assertOpen();
      const due = [...(records.get(namespace)?.values() ?? [])].filter((record) => record.expiresAt !== undefined && record.expiresAt <= before);
      return due.sort((a, b) => (a.expiresAt as number) - (b.expiresAt as number) || byId(a, b)).slice(0, limit);
    },

    async ping() {
      assertOpen();
    },

    async purgeExpired() {
      assertOpen();
      let expired = 0;
      for (const message of messages.values()) {
        if (!live(message.expiresAt)) {
          remove(message);
          expired++;
        }
      }
      for (const [id, registration] of registrations) {
        if (!live(registration.expiresAt)) {
          disown(registration);
          registrations.delete(id);
        }
      }
      for (const [key, expiry] of seen) if (!live(expiry)) seen.delete(key);
      for (const [namespace, namespaced] of records) {
        for (const [id, record] of namespaced) if (!live(record.expiresAt)) namespaced.delete(id);
        if (namespaced.size === 0) records.delete(namespace);
      }
      return expired;
    },
    async close() {
      closed = true;
    },
  };
}
