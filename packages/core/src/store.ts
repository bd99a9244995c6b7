import { expiresAt, type PushMessage } from './message.js';
import type { Runtime } from './runtime.js';

/**
 * A registration: one app instance's subscription on one channel. `owner` groups
 * registrations: on the push server it is the device stream (the RFC 8030 subscription set),
 * in the daemon it is the app, so "everything this device/app may see" is one query.
 */
export interface Registration {
  readonly id: string;
  readonly owner: string;
  readonly createdAt: number;
  /** After this instant (ms) the registration is gone; absent means it never expires. */
  readonly expiresAt?: number;
  /** Driver-opaque attributes the layer above needs (VAPID key, channel, token...). */
  readonly data: Readonly<Record<string, string>>;
}

/** A message as a store holds it: the message plus where it goes and its queue position. */
export interface StoredMessage extends PushMessage {
  /** Position in the store's single, strictly increasing sequence: the resume cursor. */
  readonly seq: number;
  readonly registrationId: string;
  readonly owner: string;
  readonly expiresAt: number;
}

/**
 * A message with its place in a store. Every driver builds the StoredMessage of a message it
 * accepts here, field by field: on V8 an object spread of a message costs ~30 times more, once
 * per accepted message. Replay paths (listMessages, getMessage) build theirs from the stored
 * row instead, since its expiresAt is what was stored and must not be computed again.
 */
export function storedMessage(message: PushMessage, place: { seq: number; registrationId: string; owner: string }): StoredMessage {
  const stored: { -readonly [K in keyof StoredMessage]: StoredMessage[K] } = {
    id: message.id,
    payload: message.payload,
    ttlSeconds: message.ttlSeconds,
    urgency: message.urgency,
    sentAt: message.sentAt,
    seq: place.seq,
    registrationId: place.registrationId,
    owner: place.owner,
    expiresAt: expiresAt(message),
  };
  if (message.topic !== undefined) stored.topic = message.topic;
  return stored;
}

export interface MessageQuery {
  owner?: string;
  registrationId?: string;
  /** Only messages with a greater `seq`: the cursor a stream resumes from. */
  afterSeq?: number;
  /** @default 1000 */
  limit?: number;
}

/** What a record holds: JSON, so every driver stores it as text and gives back an equal value. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * A small JSON document kept beside the registrations, in a namespace of its own: the daemon's
 * app credentials and channel state, the push server's subscription-set markers and
 * tombstones. Records are not registrations: no message can be queued for one, and no owner
 * query ever lists one.
 */
export interface StoreRecord {
  /** Unique within its namespace. */
  readonly id: string;
  readonly value: JsonValue;
  /** After this instant (ms) the record is gone; absent means it never expires. */
  readonly expiresAt?: number;
}

/** A de-duplication key and how long it is remembered (`markSeen`'s arguments). */
export interface SeenMark {
  readonly key: string;
  readonly expiresAt: number;
}

export interface EnqueueResult {
  message: StoredMessage;
  /** The id of the queued message this one replaced through its topic, if any. */
  replacedId?: string;
  /** False when a message with this id was already queued: the call changed nothing. */
  created: boolean;
}

/**
 * Where registrations, undelivered messages, seen ids and records live. Every write is durable
 * when its promise resolves (for drivers that persist at all); one conformance suite checks
 * every driver.
 */
export interface Store {
  putRegistration(registration: Registration): Promise<void>;
  getRegistration(id: string): Promise<Registration | undefined>;
  listRegistrations(owner: string): Promise<Registration[]>;
  /** Removes the registration and every message queued for it. */
  deleteRegistration(id: string): Promise<boolean>;
  /**
   * How many registrations `owner` has, or the store holds in all without an owner: cheap
   * enough for a metrics scrape. One that expired may still count until `purgeExpired`.
   */
  countRegistrations(owner?: string): Promise<number>;
  /**
   * Registrations of `owner` whose `expiresAt` is at or before `before`, soonest first, at most
   * `limit`, including expired ones `purgeExpired` has not removed yet: a caller can act on
   * what is about to expire (the push server reclaims subscription sets with it) before the
   * purge forgets it.
   */
  listExpiringRegistrations(owner: string, before: number, limit: number): Promise<Registration[]>;

  /**
   * Queues a message for a registration. A message with the same topic still queued for the
   * same registration is replaced (RFC 8030 section 5.4). Enqueueing an id that is already
   * queued returns the queued message unchanged, so senders may retry safely.
   * Rejects with NOT_FOUND when the registration does not exist.
   */
  enqueue(registrationId: string, message: PushMessage): Promise<EnqueueResult>;
  /**
   * Optional: `enqueue` finished before it returns, for a store whose write is complete (and
   * as durable as it will ever be) within the call, as the memory store's is. Same result and
   * errors as `enqueue`, thrown rather than rejected. A caller uses it when present and spares
   * a message the promises of the async call (`enqueueMessage` does); a driver that offers it
   * offers `ackSync` too, and the conformance suite holds both to the async methods' behaviour.
   */
  enqueueSync?(registrationId: string, message: PushMessage): EnqueueResult;
  /**
   * `enqueue` and `markSeen` in one atomic step, for a receiver that stores what it takes and
   * de-duplicates redeliveries (the daemon): resolves to `undefined`, changing nothing, when
   * `seen.key` is already marked (a redelivery of something taken before, queued or acked since);
   * otherwise enqueues exactly as `enqueue` does and marks `seen.key` until `seen.expiresAt`, both
   * or neither. The mark is set when the message is queued for `registrationId` afterwards (created
   * now, or the same id already queued for it), never when the enqueue rejects (NOT_FOUND) or the
   * id is queued for another registration: a key marked for a message that is not stored would
   * drop its redelivery, a lost message. Two calls with one key never both enqueue.
   */
  enqueueUnseen(registrationId: string, message: PushMessage, seen: SeenMark): Promise<EnqueueResult | undefined>;
  /** Queued, unexpired messages in `seq` order. */
  listMessages(query: MessageQuery): Promise<StoredMessage[]>;
  getMessage(id: string): Promise<StoredMessage | undefined>;
  /** Removes a delivered message. False when it was not queued (already acked or expired). */
  ack(messageId: string): Promise<boolean>;
  /** Optional, with `enqueueSync`: `ack` finished before it returns. */
  ackSync?(messageId: string): boolean;

  /**
   * Records an id as seen until `expiresAt`. True the first time, false for a replay: this is
   * how receivers de-duplicate at-least-once delivery.
   */
  markSeen(key: string, expiresAt: number): Promise<boolean>;

  /** Creates or replaces the record with this id in `namespace`. */
  putRecord(namespace: string, record: StoreRecord): Promise<void>;
  /** The record, or undefined when there is none or it expired. */
  getRecord(namespace: string, id: string): Promise<StoreRecord | undefined>;
  /** False when there was no such record. */
  deleteRecord(namespace: string, id: string): Promise<boolean>;
  /** Every unexpired record of `namespace`, in id order. Meant for small namespaces. */
  listRecords(namespace: string): Promise<StoreRecord[]>;
  /** How many unexpired records `namespace` holds: cheap enough for a metrics scrape or a limit check. */
  countRecords(namespace: string): Promise<number>;
  /**
   * Records of `namespace` whose `expiresAt` is at or before `before`, soonest first (ties in id
   * order), at most `limit`, including expired ones `purgeExpired` has not removed yet: as with
   * `listExpiringRegistrations`, a caller acts on them before the purge forgets them.
   */
  listExpiringRecords(namespace: string, before: number, limit: number): Promise<StoreRecord[]>;

  /**
   * Resolves when the backing store answers, for health checks and a start-up check. Rejects
   * with UNAVAILABLE when it does not (Redis down), CLOSED after `close()`.
   */
  ping(): Promise<void>;

  /** Drops expired messages, registrations, records and seen ids; returns how many messages expired. */
  purgeExpired(): Promise<number>;
  close(): Promise<void>;
}

export interface StoreOptions {
  runtime?: Partial<Runtime>;
}

export type StoreFactory<Options extends StoreOptions = StoreOptions> = (options?: Options) => Store | Promise<Store>;

/**
 * Whether a maybe-synchronous result (`enqueueMessage`, `ackMessage`) is still to come. By its
 * `then`, not `instanceof Promise`: a driver may hand back a promise of another realm or a
 * thenable of its own.
 */
export function isPending<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

/**
 * Queues a message through the store's synchronous fast path when it has one (no promise
 * exists then), else through `enqueue`. A NOT_FOUND is thrown or rejected accordingly.
 */
export function enqueueMessage(store: Store, registrationId: string, message: PushMessage): EnqueueResult | Promise<EnqueueResult> {
  return store.enqueueSync === undefined ? store.enqueue(registrationId, message) : store.enqueueSync(registrationId, message);
}

/** Removes a delivered message through the store's synchronous fast path when it has one. */
export function ackMessage(store: Store, messageId: string): boolean | Promise<boolean> {
  return store.ackSync === undefined ? store.ack(messageId) : store.ackSync(messageId);
}
