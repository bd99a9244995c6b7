import { equalBytes, FosspushError, type Registration, type Runtime, type Store, type StoredMessage, toBase64Url, utf8Encode } from '@fosspush/core';
import { CAPABILITY_PATTERN } from './http/capabilities.js';

/**
 * A set is kept as a marker registration beside its subscriptions, so it outlives its last
 * subscription (a device that unsubscribes every app keeps its stream). The `:` keeps marker
 * ids out of the push-resource namespace, which only takes CAPABILITY_PATTERN. Every marker has
 * one owner, so the store counts sets and finds those about to expire in one query.
 */
const SET_MARKER_PREFIX = 'set:';
const SETS_OWNER = 'sets';
/**
 * Beside each marker, a record owned by the address that created the set, with the same
 * lifetime: counting an address's records is counting its live sets.
 */
const ADDRESS_RECORD_PREFIX = 'a:';
/** Owner of the tombstones that answer 410 for unsubscribed or reclaimed push resources. */
const TOMBSTONE_OWNER = 'unsubscribed';
/** A connected set's deadline is rewritten at most this often: one write pair a day, not per connect. */
export const SET_TOUCH_INTERVAL_MS = 24 * 3600 * 1000;

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
  /** A set no device ever connected to is reclaimed this long after it was made. */
  pendingSetTtlMs: number;
  /** A set no device connected to for this long is reclaimed. */
  idleSetTtlMs: number;
  /** Live sets one address (an IPv6 /64) may have made, at most. */
  maxSetsPerAddress: number;
  /** @default 100000 */
  maxCachedRegistrations?: number;
}

export interface Subscriptions {
  /**
   * Adds a subscription to `setId`, or to a new set made for `address`. NOT_FOUND for an
   * unknown set, PERMISSION_DENIED past a limit.
   */
  create(request: { setId?: string; vapidPublicKey?: string; address: string }): Promise<{ setId: string; pushId: string }>;
  /** The registration behind a push resource: NOT_FOUND if unknown or expired, GONE if unsubscribed. */
  pushTarget(pushId: string): Promise<Registration>;
  /**
   * After an enqueue through a cached registration: if the subscription was unsubscribed
   * meanwhile (its message landed on the tombstone), drops the message and throws GONE.
   */
  checkAccepted(message: StoredMessage): Promise<void>;
  setExists(setId: string): Promise<boolean>;
  /** A device is on the set's stream: it lives `idleSetTtlMs` from now. False for an unknown set. */
  touch(setId: string): Promise<boolean>;
  /** Unsubscribes one subscription of the set; NOT_FOUND unless `pushId` is in `setId`. */
  remove(setId: string, pushId: string): Promise<void>;
  /** Removes the set and all its subscriptions; returns their push ids. */
  removeSet(setId: string): Promise<string[]>;
  /**
   * Reclaims every set whose deadline falls within `lookaheadMs` from now: its push resources
   * answer 410 from then on. Returns how many sets went.
   */
  reclaimExpired(lookaheadMs: number): Promise<number>;
  /** Sets and subscriptions in the store, for the metrics gauges. */
  count(): Promise<{ sets: number; subscriptions: number }>;
}

const markerId = (setId: string) => `${SET_MARKER_PREFIX}${setId}`;
const addressRecordId = (setId: string) => `${ADDRESS_RECORD_PREFIX}${setId}`;
const addressOwner = (address: string) => `${SETS_OWNER}@${address}`;
const notFound = (what: string) => new FosspushError('NOT_FOUND', `no such ${what}`);
const sameSecret = (a: string, b: string) => equalBytes(utf8Encode(a), utf8Encode(b));

/** Why a push resource answers 410, as its tombstone records it. */
type GoneReason = 'unsubscribed' | 'reclaimed';
const GONE_MESSAGES: Record<GoneReason, string> = {
  unsubscribed: 'this push resource was unsubscribed: stop sending to it',
  reclaimed: 'no device connected to this push resource for too long, so it was reclaimed: stop sending to it',
};

/**
 * Subscriptions and subscription sets (RFC 8030 sections 4 and 4.1) over a Store: a
 * subscription is a registration whose id is the push id and whose owner is the set id.
 * Sets have a deadline: `pendingSetTtlMs` after they were made until a device first connects,
 * then `idleSetTtlMs` after a device was last connected. Past it the set is reclaimed.
 */
export function createSubscriptions(options: SubscriptionsOptions): Subscriptions {
  const { store, runtime } = options;
  const newCapability = () => toBase64Url(runtime.random.bytes(16));

  const setExists = async (setId: string) => CAPABILITY_PATTERN.test(setId) && (await store.getRegistration(markerId(setId))) !== undefined;

  /** Writes the set's marker and address record with a new deadline. */
  const putSet = async (setId: string, address: string, createdAt: number, deadline: number, seen: boolean) => {
    await store.putRegistration({ id: markerId(setId), owner: SETS_OWNER, createdAt, expiresAt: deadline, data: { kind: 'set', address, ...(seen ? { seen: '1' } : {}) } });
    await store.putRegistration({ id: addressRecordId(setId), owner: addressOwner(address), createdAt, expiresAt: deadline, data: {} });
  };

  const tombstone = (pushId: string, reason: GoneReason): Registration => {
    const now = runtime.clock.now();
    return { id: pushId, owner: TOMBSTONE_OWNER, createdAt: now, expiresAt: now + options.unsubscribedRetentionMs, data: { gone: reason } };
  };

  const cache = new Map<string, { registration: Registration; until: number }>();
  const maxCached = options.maxCachedRegistrations ?? 100_000;
  const remember = (registration: Registration) => {
    if (options.registrationCacheMs <= 0) return;
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
    cache.set(registration.id, { registration, until: runtime.clock.now() + options.registrationCacheMs });
  };
  const gone = (reason: string | undefined) =>
    new FosspushError('GONE', GONE_MESSAGES[reason === 'reclaimed' ? 'reclaimed' : 'unsubscribed'], { details: { reason: reason === 'reclaimed' ? 'reclaimed' : 'unsubscribed' } });

  const members = async (setId: string) =>
    (await store.listRegistrations(setId)).filter((registration) => !registration.id.startsWith(SET_MARKER_PREFIX));

  /** Every subscription of the set answers 410 from now on; returns their push ids. */
  const retire = async (setId: string, reason: GoneReason) => {
    const removed: string[] = [];
    for (const registration of await members(setId)) {
      cache.delete(registration.id);
      await store.deleteRegistration(registration.id);
      await store.putRegistration(tombstone(registration.id, reason));
      removed.push(registration.id);
    }
    await store.deleteRegistration(markerId(setId));
    await store.deleteRegistration(addressRecordId(setId));
    return removed;
  };

  return {
    async create({ setId, vapidPublicKey, address }) {
      const now = runtime.clock.now();
      let owner = setId;
      if (owner === undefined) {
        const live = await store.countRegistrations(addressOwner(address));
        if (live >= options.maxSetsPerAddress) {
          throw new FosspushError('PERMISSION_DENIED', `one address may hold at most ${options.maxSetsPerAddress} subscription sets`, {
            details: { limit: options.maxSetsPerAddress },
          });
        }
        owner = newCapability();
        await putSet(owner, address, now, now + options.pendingSetTtlMs, false);
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
      if (registration.data['gone'] !== undefined) throw gone(registration.data['gone']);
      remember(registration);
      return registration;
    },

    async checkAccepted(message) {
      if (message.owner !== TOMBSTONE_OWNER) return;
      cache.delete(message.registrationId);
      const tombstoned = await store.getRegistration(message.registrationId);
      await store.ack(message.id);
      throw gone(tombstoned?.data['gone']);
    },

    setExists,

    async touch(setId) {
      const marker = CAPABILITY_PATTERN.test(setId) ? await store.getRegistration(markerId(setId)) : undefined;
      if (!marker) return false;
      const now = runtime.clock.now();
      const deadline = now + options.idleSetTtlMs;
      const seen = marker.data['seen'] !== undefined && marker.expiresAt !== undefined;
      if (!seen || deadline - (marker.expiresAt as number) >= SET_TOUCH_INTERVAL_MS) {
        await putSet(setId, marker.data['address'] ?? 'unknown', marker.createdAt, deadline, true);
      }
      return true;
    },

    async remove(setId, pushId) {
      const registration = CAPABILITY_PATTERN.test(pushId) ? await store.getRegistration(pushId) : undefined;
      if (!registration || !sameSecret(registration.owner, setId)) throw notFound('subscription');
      cache.delete(pushId);
      await store.deleteRegistration(pushId);
      await store.putRegistration(tombstone(pushId, 'unsubscribed'));
    },

    async removeSet(setId) {
      if (!(await setExists(setId))) throw notFound('subscription set');
      return retire(setId, 'unsubscribed');
    },

    async reclaimExpired(lookaheadMs) {
      const page = 100;
      let reclaimed = 0;
      for (;;) {
        const due = await store.listExpiringRegistrations(SETS_OWNER, runtime.clock.now() + lookaheadMs, page);
        for (const marker of due) {
          await retire(marker.id.slice(SET_MARKER_PREFIX.length), 'reclaimed');
          reclaimed++;
        }
        if (due.length < page) return reclaimed;
      }
    },

    async count() {
      const [sets, all, tombstones] = await Promise.all([
        store.countRegistrations(SETS_OWNER),
        store.countRegistrations(),
        store.countRegistrations(TOMBSTONE_OWNER),
      ]);
      // Everything else in the store is a subscription: each set is a marker plus its address record.
      return { sets, subscriptions: Math.max(0, all - 2 * sets - tombstones) };
    },
  };
}
