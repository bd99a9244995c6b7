import {
  type EnqueueResult,
  enqueueMessage,
  equalBytes,
  FosspushError,
  isFosspushError,
  isPending,
  type PushMessage,
  type Registration,
  type Runtime,
  type Store,
  type StoreRecord,
  toBase64Url,
  utf8Encode,
} from '@fosspush/core';
import { CAPABILITY_PATTERN } from './http/capabilities.js';

/**
 * A set is kept as a record beside its subscriptions, so it outlives its last subscription (a
 * device that unsubscribes every app keeps its stream). Its expiry is the set's deadline, so
 * the store counts sets and finds those about to expire in one query.
 */
export const SETS_NAMESPACE = 'sets';
/**
 * Beside each set, a record in a namespace of the address that created it, with the same
 * lifetime: counting that namespace is counting the address's live sets.
 */
export const setsOfAddressNamespace = (address: string) => `sets@${address}`;
/** Tombstones that answer 410 for unsubscribed or reclaimed push resources, by push id. */
export const GONE_NAMESPACE = 'gone';
/** A connected set's deadline is rewritten at most this often: one write pair a day, not per connect. */
export const SET_TOUCH_INTERVAL_MS = 24 * 3600 * 1000;

/** What a set's record holds. */
export interface SetMarker {
  /** The address key (an IPv6 /64) that made the set. */
  address: string;
  /** A device has connected to the set's stream at least once. */
  seen: boolean;
}

/** Why a push resource answers 410, as its tombstone records it. */
export type GoneReason = 'unsubscribed' | 'reclaimed';

/** Writes the set's record and its address record with a new deadline. */
export async function writeSet(store: Store, setId: string, marker: SetMarker, deadline: number): Promise<void> {
  await store.putRecord(SETS_NAMESPACE, { id: setId, value: { address: marker.address, seen: marker.seen }, expiresAt: deadline });
  await store.putRecord(setsOfAddressNamespace(marker.address), { id: setId, value: null, expiresAt: deadline });
}

/** From now until `until`, pushes to `pushId` answer 410 for `reason`. */
export function writeTombstone(store: Store, pushId: string, reason: GoneReason, until: number): Promise<void> {
  return store.putRecord(GONE_NAMESPACE, { id: pushId, value: { reason }, expiresAt: until });
}

const setMarkerOf = (record: StoreRecord): SetMarker => {
  const value = record.value as { address?: unknown; seen?: unknown } | null;
  return { address: typeof value?.address === 'string' ? value.address : 'unknown', seen: value?.seen === true };
};

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
   * another node is caught by `enqueue`.
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
  /**
   * The registration behind a push resource: NOT_FOUND if unknown or expired, GONE if
   * unsubscribed. No promise when the registration is in the cache.
   */
  pushTarget(pushId: string): Registration | Promise<Registration>;
  /**
   * Queues a message for a push resource `pushTarget` returned, perhaps from its cache: GONE
   * when the subscription was unsubscribed or reclaimed meanwhile, on any node. No promise
   * when the store has a synchronous fast path and accepts the message.
   */
  enqueue(registration: Registration, message: PushMessage): EnqueueResult | Promise<EnqueueResult>;
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

const notFound = (what: string) => new FosspushError('NOT_FOUND', `no such ${what}`);
const sameSecret = (a: string, b: string) => equalBytes(utf8Encode(a), utf8Encode(b));

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

  const markerOf = async (setId: string) => (CAPABILITY_PATTERN.test(setId) ? await store.getRecord(SETS_NAMESPACE, setId) : undefined);
  const setExists = async (setId: string) => (await markerOf(setId)) !== undefined;
  const bury = (pushId: string, reason: GoneReason) => writeTombstone(store, pushId, reason, runtime.clock.now() + options.unsubscribedRetentionMs);

  const cache = new Map<string, { registration: Registration; until: number }>();
  const maxCached = options.maxCachedRegistrations ?? 100_000;
  const remember = (registration: Registration) => {
    if (options.registrationCacheMs <= 0) return;
    if (cache.size >= maxCached) cache.delete(cache.keys().next().value as string);
    cache.set(registration.id, { registration, until: runtime.clock.now() + options.registrationCacheMs });
  };
  const gone = (reason: unknown) => {
    const known: GoneReason = reason === 'reclaimed' ? 'reclaimed' : 'unsubscribed';
    return new FosspushError('GONE', GONE_MESSAGES[known], { details: { reason: known } });
  };
  /** Why a push resource has no registration: GONE while its tombstone lasts, else NOT_FOUND. */
  const missing = async (pushId: string) => {
    const tombstone = CAPABILITY_PATTERN.test(pushId) ? await store.getRecord(GONE_NAMESPACE, pushId) : undefined;
    return tombstone ? gone((tombstone.value as { reason?: unknown } | null)?.reason) : notFound('push resource');
  };

  const lookUpTarget = async (pushId: string) => {
    const registration = CAPABILITY_PATTERN.test(pushId) ? await store.getRegistration(pushId) : undefined;
    if (!registration) throw await missing(pushId);
    remember(registration);
    return registration;
  };
  /** Why the store refused a message: a push that raced an unsubscribe gets its GONE. */
  const refused = async (pushId: string, error: unknown): Promise<never> => {
    if (!isFosspushError(error, 'NOT_FOUND')) throw error;
    cache.delete(pushId);
    throw await missing(pushId);
  };

  /**
   * Every subscription of the set answers 410 from now on; returns their push ids. Each
   * tombstone is written before its registration goes, so a push that finds no registration
   * always finds the tombstone.
   */
  const retire = async (marker: StoreRecord, reason: GoneReason) => {
    const removed: string[] = [];
    for (const registration of await store.listRegistrations(marker.id)) {
      cache.delete(registration.id);
      await bury(registration.id, reason);
      await store.deleteRegistration(registration.id);
      removed.push(registration.id);
    }
    await store.deleteRecord(SETS_NAMESPACE, marker.id);
    await store.deleteRecord(setsOfAddressNamespace(setMarkerOf(marker).address), marker.id);
    return removed;
  };

  return {
    async create({ setId, vapidPublicKey, address }) {
      const now = runtime.clock.now();
      let owner = setId;
      if (owner === undefined) {
        const live = await store.countRecords(setsOfAddressNamespace(address));
        if (live >= options.maxSetsPerAddress) {
          throw new FosspushError('PERMISSION_DENIED', `one address may hold at most ${options.maxSetsPerAddress} subscription sets`, {
            details: { limit: options.maxSetsPerAddress },
          });
        }
        owner = newCapability();
        await writeSet(store, owner, { address, seen: false }, now + options.pendingSetTtlMs);
      } else {
        if (!(await setExists(owner))) throw notFound('subscription set');
        if ((await store.countRegistrations(owner)) >= options.maxSubscriptionsPerSet) {
          throw new FosspushError('PERMISSION_DENIED', `a subscription set holds at most ${options.maxSubscriptionsPerSet} subscriptions`, {
            details: { limit: options.maxSubscriptionsPerSet },
          });
        }
      }
      const pushId = newCapability();
      await store.putRegistration({ id: pushId, owner, createdAt: now, data: vapidPublicKey === undefined ? {} : { vapid: vapidPublicKey } });
      return { setId: owner, pushId };
    },

    pushTarget(pushId) {
      const cached = cache.get(pushId);
      if (cached && cached.until > runtime.clock.now()) return cached.registration;
      return lookUpTarget(pushId);
    },

    enqueue(registration, message) {
      let enqueued: EnqueueResult | Promise<EnqueueResult>;
      try {
        enqueued = enqueueMessage(store, registration.id, message);
      } catch (error) {
        return refused(registration.id, error);
      }
      return isPending(enqueued) ? Promise.resolve(enqueued).catch((error: unknown) => refused(registration.id, error)) : enqueued;
    },

    setExists,

    async touch(setId) {
      const marker = await markerOf(setId);
      if (!marker) return false;
      const deadline = runtime.clock.now() + options.idleSetTtlMs;
      const { address, seen } = setMarkerOf(marker);
      if (!seen || marker.expiresAt === undefined || deadline - marker.expiresAt >= SET_TOUCH_INTERVAL_MS) {
        await writeSet(store, setId, { address, seen: true }, deadline);
      }
      return true;
    },

    async remove(setId, pushId) {
      const registration = CAPABILITY_PATTERN.test(pushId) ? await store.getRegistration(pushId) : undefined;
      if (!registration || !sameSecret(registration.owner, setId)) throw notFound('subscription');
      cache.delete(pushId);
      await bury(pushId, 'unsubscribed');
      await store.deleteRegistration(pushId);
    },

    async removeSet(setId) {
      const marker = await markerOf(setId);
      if (!marker) throw notFound('subscription set');
      return retire(marker, 'unsubscribed');
    },

    async reclaimExpired(lookaheadMs) {
      const page = 100;
      let reclaimed = 0;
      for (;;) {
        const due = await store.listExpiringRecords(SETS_NAMESPACE, runtime.clock.now() + lookaheadMs, page);
        for (const marker of due) {
          await retire(marker, 'reclaimed');
          reclaimed++;
        }
        if (due.length < page) return reclaimed;
      }
    },

    async count() {
      // Every registration the push server keeps is a subscription.
      const [sets, subscriptions] = await Promise.all([store.countRecords(SETS_NAMESPACE), store.countRegistrations()]);
      return { sets, subscriptions };
    },
  };
}
