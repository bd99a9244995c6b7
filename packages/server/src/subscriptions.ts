import { CAPABILITY_PATTERN } from './http/capabilities.js';
import { equalBytes, FosspushError, type Registration, type Runtime, type Store, type StoredMessage, toBase64Url, utf8Encode } from '@fosspush/core';


/**
 * A set is kept as a marker registration beside its subscriptions, so it outlives its last
 * subscription (a device that unsubscribes every app keeps its stream). The `:` keeps marker
 * ids out of the push-resource namespace, which only takes CAPABILITY_PATTERN.
 */
const SET_MARKER_PREFIX = 'set:';
/** Owner of the tombstones that answer 410 for unsubscribed push resources. */
const TOMBSTONE_OWNER = 'unsubscribed';

export interface SubscriptionsOptions {
  store: Store;
  runtime: Runtime;
  /** Refuse more subscriptions than this in one set. */
  maxSubscriptionsPerSet: number;
  /** How long an unsubscribed push resource answers 410 instead of 404. */
  unsubscribedRetentionMs: number;
  /**
   * How long a node remembers a push resource's registration instead of reading it per push.
   * Safe to cache: a registration never changes, and a push that races an unsubscribe on
   * another node is caught by `checkAccepted`.
   */
  registrationCacheMs: number;
  /** @default 100000 */
  maxCachedRegistrations?: number;
}

export interface Subscriptions {
  /** Adds a subscription to `setId`, or to a new set. NOT_FOUND for an unknown set. */
  create(request: { setId?: string; vapidPublicKey?: string }): Promise<{ setId: string; pushId: string }>;
  /** The registration behind a push resource: NOT_FOUND if unknown or expired, GONE if unsubscribed. */
  pushTarget(pushId: string): Promise<Registration>;
  /**
   * After an enqueue through a cached registration: if the subscription was unsubscribed
   * meanwhile (its message landed on the tombstone), drops the message and throws GONE.
   */
  checkAccepted(message: StoredMessage): Promise<void>;
  setExists(setId: string): Promise<boolean>;
  /** Unsubscribes one subscription of the set; NOT_FOUND unless `pushId` is in `setId`. */
  remove(setId: string, pushId: string): Promise<void>;
  /** Removes the set and all its subscriptions; returns their push ids. */
  removeSet(setId: string): Promise<string[]>;
}

const markerId = (setId: string) => `${SET_MARKER_PREFIX}${setId}`;
const notFound = (what: string) => new FosspushError('NOT_FOUND', `no such ${what}`);
const sameSecret = (a: string, b: string) => equalBytes(utf8Encode(a), utf8Encode(b));

/**
 * Subscriptions and subscription sets (RFC 8030 sections 4 and 4.1) over a Store: a
 * subscription is a registration whose id is the push id and whose owner is the set id.
 */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { store, runtime } = options;
  const newCapability = () => toBase64Url(runtime.random.bytes(16));

  const setExists = async (setId: string) => CAPABILITY_PATTERN.test(setId) && (await store.getRegistration(markerId(setId))) !== undefined;

  const tombstone = (pushId: string): Registration => {
    const now = runtime.clock.now();
    return { id: pushId, owner: TOMBSTONE_OWNER, createdAt: now, expiresAt: now + options.unsubscribedRetentionMs, data: { gone: '1' } };
  };

  const cache = new Map<string, { registration: Registration; until: number }>();
  const maxCached = options.maxCachedRegistrations ?? 100_000;
  const remember = (registration: Registration) => {
    if (options.registrationCacheMs <= 0) return;
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
    cache.set(registration.id, { registration, until: runtime.clock.now() + options.registrationCacheMs });
  };
  const gone = () => new FosspushError('GONE', 'this push resource was unsubscribed: stop sending to it');

  const members = async (setId: string) =>
    (await store.listRegistrations(setId)).filter((registration) => !registration.id.startsWith(SET_MARKER_PREFIX));

  return {
    async create({ setId, vapidPublicKey }) {
      const now = runtime.clock.now();
      let owner = setId;
      if (owner === undefined) {
        owner = newCapability();
        await store.putRegistration({ id: markerId(owner), owner, createdAt: now, data: { kind: 'set' } });
      } else {
        if (!(await setExists(owner))) throw notFound('subscription set');
        if ((await members(owner)).length >= options.maxSubscriptionsPerSet) {
          throw new FosspushError('PERMISSION_DENIED', `a subscription set holds at most ${options.maxSubscriptionsPerSet} subscriptions`, {
            details: { limit: options.maxSubscriptionsPerSet },
          });
        }
      }
      const pushId = newCapability();
      await store.putRegistration({ id: pushId, owner, createdAt: now, data: vapidPublicKey === undefined ? {} : { vapid: vapidPublicKey } });
      return { setId: owner, pushId };
    },

    async pushTarget(pushId) {
      const cached = cache.get(pushId);
      if (cached && cached.until > runtime.clock.now()) return cached.registration;
      const registration = CAPABILITY_PATTERN.test(pushId) ? await store.getRegistration(pushId) : undefined;
      if (!registration) throw notFound('push resource');
      if (registration.data['gone'] !== undefined) throw gone();
      remember(registration);
      return registration;
    },

    async checkAccepted(message) {
      if (message.owner !== TOMBSTONE_OWNER) return;
      cache.delete(message.registrationId);
      await store.ack(message.id);
      throw gone();
    },

    setExists,

    async remove(setId, pushId) {
      const registration = CAPABILITY_PATTERN.test(pushId) ? await store.getRegistration(pushId) : undefined;
      if (!registration || !sameSecret(registration.owner, setId)) throw notFound('subscription');
      cache.delete(pushId);
      await store.deleteRegistration(pushId);
      await store.putRegistration(tombstone(pushId));
    },

    async removeSet(setId) {
      if (!(await setExists(setId))) throw notFound('subscription set');
      const removed: string[] = [];
      for (const registration of await members(setId)) {
        cache.delete(registration.id);
        await store.deleteRegistration(registration.id);
        await store.putRegistration(tombstone(registration.id));
        removed.push(registration.id);
      }
      await store.deleteRegistration(markerId(setId));
      return removed;
    },
  };
}
