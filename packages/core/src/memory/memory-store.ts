import { FosspushError } from '../errors.js';
import { expiresAt, type PushMessage } from '../message.js';
import { resolveRuntime } from '../runtime.js';
import type { EnqueueResult, MessageQuery, Registration, Store, StoredMessage, StoreOptions } from '../store.js';

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
  // Map iteration order is insertion order, which is seq order: listMessages needs no sort.
  const messages = new Map<string, StoredMessage>();
  const seen = new Map<string, number>();
  let lastSeq = 0;
  let closed = false;

  const open = () => {
    if (closed) throw new FosspushError('CLOSED', 'the store is closed');
  };
  const live = (expiry: number | undefined) => expiry === undefined || expiry > clock.now();

  return {
    async putRegistration(registration) {
      open();
      registrations.set(registration.id, { ...registration, data: { ...registration.data } });
    },
    async getRegistration(id) {
      open();
      const registration = registrations.get(id);
      return registration && live(registration.expiresAt) ? registration : undefined;
    },
    async listRegistrations(owner) {
      open();
      return [...registrations.values()].filter((r) => r.owner === owner && live(r.expiresAt));
    },
    async deleteRegistration(id) {
      open();
      for (const [messageId, message] of messages) if (message.registrationId === id) messages.delete(messageId);
      return registrations.delete(id);
    },

    async enqueue(registrationId, message: PushMessage): Promise<EnqueueResult> {
      open();
      const registration = registrations.get(registrationId);
      if (!registration || !live(registration.expiresAt)) {
        throw new FosspushError('NOT_FOUND', `no registration ${registrationId}`);
      }
      const existing = messages.get(message.id);
      if (existing) return { message: existing, created: false };
      let replacedId: string | undefined;
      if (message.topic !== undefined) {
        for (const [queuedId, queued] of messages) {
          if (queued.registrationId === registrationId && queued.topic === message.topic) {
            messages.delete(queuedId);
            replacedId = queuedId;
          }
        }
      }
      const stored: StoredMessage = {
        ...message,
        seq: ++lastSeq,
        registrationId,
        owner: registration.owner,
        expiresAt: expiresAt(message),
      };
      messages.set(stored.id, stored);
      return replacedId === undefined ? { message: stored, created: true } : { message: stored, created: true, replacedId };
    },
    async listMessages(query: MessageQuery) {
      open();
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
      open();
      const message = messages.get(id);
      return message && live(message.expiresAt) ? message : undefined;
    },
    async ack(messageId) {
      open();
      return messages.delete(messageId);
    },

    async markSeen(key, expiry) {
      open();
      const known = seen.get(key);
      if (known !== undefined && known > clock.now()) return false;
      seen.set(key, expiry);
      return true;
    },

    async purgeExpired() {
      open();
      let expired = 0;
      for (const [id, message] of messages) {
        if (!live(message.expiresAt)) {
          messages.delete(id);
          expired++;
        }
      }
      for (const [id, registration] of registrations) if (!live(registration.expiresAt)) registrations.delete(id);
      for (const [key, expiry] of seen) if (!live(expiry)) seen.delete(key);
      return expired;
    },
    async close() {
      closed = true;
    },
  };
}
