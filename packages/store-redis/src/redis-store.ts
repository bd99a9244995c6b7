import {
  type EnqueueResult,
  expiresAt,
  FosspushError,
  type MessageQuery,
  type PushMessage,
  type Registration,
  resolveRuntime,
  type Store,
  type StoredMessage,
  type StoreOptions,
  type StoreRecord,
  storedMessage,
  type Urgency,
  withDefaults,
} from '@fosspush/core';
import type { Redis } from 'ioredis';
import { connectRedis, REDIS_CONNECTION_DEFAULTS, type RedisConnectionOptions, toStoreError } from './connection.js';
import { MESSAGE_FIELDS, SCRIPTS, type ScriptName } from './scripts.js';

export interface RedisStoreOptions extends StoreOptions, RedisConnectionOptions {
  /** Use this client instead of connecting to `url`; the store then leaves it open on close. */
  client?: Redis;
  /**
   * How many expired items of each kind one purge script removes before yielding to other
   * clients.
   * @default 1000
   */
  purgeBatchSize?: number;
}

export const REDIS_STORE_DEFAULTS = {
  ...REDIS_CONNECTION_DEFAULTS,
  purgeBatchSize: 1000,
} as const;

type Reply = Buffer | number | null | Reply[];

const text = (value: Reply | undefined): string => (Buffer.isBuffer(value) ? value.toString('utf8') : String(value ?? ''));

function toMessage(fields: readonly Reply[]): StoredMessage {
  const field = (name: (typeof MESSAGE_FIELDS)[number]) => fields[MESSAGE_FIELDS.indexOf(name)];
  const payload = field('payload');
  const message: StoredMessage = {
    id: text(field('id')),
    seq: Number(text(field('seq'))),
    registrationId: text(field('rid')),
    owner: text(field('owner')),
    payload: Buffer.isBuffer(payload) ? new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength) : new Uint8Array(0),
    ttlSeconds: Number(text(field('ttl'))),
    urgency: text(field('urg')) as Urgency,
    sentAt: Number(text(field('sent'))),
    expiresAt: Number(text(field('exp'))),
  };
  const topic = text(field('topic'));
  return topic === '' ? message : { ...message, topic };
}

function toRegistration(id: string, hash: Record<string, string>): Registration | undefined {
  if (hash['owner'] === undefined) return undefined;
  const registration: Registration = {
    id,
    owner: hash['owner'],
    createdAt: Number(hash['createdAt']),
    data: JSON.parse(hash['data'] ?? '{}'),
  };
  return hash['expiresAt'] === undefined ? registration : { ...registration, expiresAt: Number(hash['expiresAt']) };
}

/** A record as its hash field holds it: the value and the expiry, so one HGET reads both. */
const encodeRecord = (record: StoreRecord) => JSON.stringify(record.expiresAt === undefined ? { v: record.value } : { v: record.value, e: record.expiresAt });

function decodeRecord(id: string, field: string | null | undefined): StoreRecord | undefined {
  if (field === null || field === undefined) return undefined;
  const { v, e } = JSON.parse(field) as { v: StoreRecord['value']; e?: number };
  return e === undefined ? { id, value: v } : { id, value: v, expiresAt: e };
}

/**
 * The store for push servers that run as several nodes: registrations, queued messages and
 * records in one Redis. Every write is one Lua script, so topic replacement, idempotent enqueue
 * and the seq counter stay atomic however many nodes write at once. Durability is Redis's: run
 * it with `appendonly yes` so that a 201 survives a Redis restart.
 *
 * @example
 * const store = createRedisStore({ url: 'redis://127.0.0.1:6379' });
 */
export function createRedisStore(options: RedisStoreOptions = {}): Store {
  const settings = withDefaults(REDIS_STORE_DEFAULTS, options);
  const { clock } = resolveRuntime(options.runtime);
  const prefix = settings.keyPrefix;
  const client = options.client ?? connectRedis(settings);
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(`fosspush_${name}`, { lua, numberOfKeys: 0 });
  // defineCommand adds methods ioredis cannot type; the `Buffer` variant keeps payloads binary.
  const run = (name: ScriptName, ...args: (string | number | Uint8Array)[]): Promise<Reply> =>
    (client as unknown as Record<string, (...a: unknown[]) => Promise<Reply>>)[`fosspush_${name}Buffer`]?.(
      prefix,
      ...args.map((arg) => (arg instanceof Uint8Array ? Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength) : arg)),
    ) as Promise<Reply>;

  let closed = false;
  const withStoreErrors = async <T>(work: () => Promise<T>): Promise<T> => {
    if (closed) throw new FosspushError('CLOSED', 'the store is closed');
    try {
      return await work();
    } catch (error) {
      throw toStoreError(error);
    }
  };

  const live = (record: StoreRecord) => record.expiresAt === undefined || record.expiresAt > clock.now();

  const listMessages = async (query: MessageQuery): Promise<StoredMessage[]> => {
    const limit = query.limit ?? 1000;
    if (limit <= 0) return [];
    const index =
      query.registrationId !== undefined ? `qr:${query.registrationId}` : query.owner !== undefined ? `qo:${query.owner}` : 'qa';
    const ownerFilter = query.registrationId !== undefined && query.owner !== undefined ? query.owner : '';
    const flat = (await run('listMessages', index, query.afterSeq ?? 0, clock.now(), limit, ownerFilter)) as Reply[];
    const messages: StoredMessage[] = [];
    for (let i = 0; i < flat.length; i += MESSAGE_FIELDS.length) messages.push(toMessage(flat.slice(i, i + MESSAGE_FIELDS.length)));
    return messages;
  };

  /** The `enqueue` script's arguments after the prefix (`enqueueUnseen` takes them first too). */
  const enqueueArgs = (registrationId: string, message: PushMessage) =>
    [
      registrationId,
      clock.now(),
      message.id,
      message.payload,
      message.ttlSeconds,
      message.urgency,
      message.topic ?? '',
      message.sentAt,
      expiresAt(message),
    ] as const;

  /** The `enqueue` script's reply: NOT_FOUND thrown, the queued copy, or the message created. */
  const toEnqueueResult = (registrationId: string, message: PushMessage, reply: readonly Reply[]): EnqueueResult => {
    const status = text(reply[0]);
    if (status === 'NOT_FOUND') throw new FosspushError('NOT_FOUND', `no registration ${registrationId}`);
    if (status === 'EXISTS') return { message: toMessage(reply.slice(1)), created: false };
    const replacedId = text(reply[1]);
    const stored = storedMessage(message, { seq: Number(text(reply[2])), registrationId, owner: text(reply[3]) });
    return replacedId === '' ? { message: stored, created: true } : { message: stored, created: true, replacedId };
  };

  return {
    putRegistration: (r) =>
      withStoreErrors(async () => {
        await run('putRegistration', r.id, r.owner, r.createdAt, r.expiresAt ?? '', JSON.stringify(r.data));
      }),
    getRegistration: (id) =>
      withStoreErrors(async () => {
        const registration = toRegistration(id, await client.hgetall(`${prefix}r:${id}`));
        return registration && (registration.expiresAt === undefined || registration.expiresAt > clock.now()) ? registration : undefined;
      }),
    listRegistrations: (owner) =>
      withStoreErrors(async () => {
        const ids = (await client.smembers(`${prefix}o:${owner}`)).sort();
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.hgetall(`${prefix}r:${id}`);
        const hashes = (await pipeline.exec()) ?? [];
        const now = clock.now();
        return ids
          .map((id, i) => toRegistration(id, (hashes[i]?.[1] ?? {}) as Record<string, string>))
          .filter((r): r is Registration => r !== undefined && r.owner === owner && (r.expiresAt === undefined || r.expiresAt > now))
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      }),
    deleteRegistration: (id) => withStoreErrors(async () => (await run('deleteRegistration', id)) === 1),
    countRegistrations: (owner) => withStoreErrors(() => client.scard(owner === undefined ? `${prefix}rall` : `${prefix}o:${owner}`)),
    listExpiringRegistrations: (owner, before, limit) =>
      withStoreErrors(async () => {
        const ids = ((await run('listExpiring', owner, before, limit)) as Reply[]).map(text);
        const pipeline = client.pipeline();
        for (const id of ids) pipeline.hgetall(`${prefix}r:${id}`);
        const hashes = (await pipeline.exec()) ?? [];
        return ids.flatMap((id, i) => toRegistration(id, (hashes[i]?.[1] ?? {}) as Record<string, string>) ?? []);
      }),

    enqueue: (registrationId, message) =>
      withStoreErrors(async () => toEnqueueResult(registrationId, message, (await run('enqueue', ...enqueueArgs(registrationId, message))) as Reply[])),
    enqueueUnseen: (registrationId, message, seen) =>
      withStoreErrors(async () => {
        const reply = (await run('enqueueUnseen', ...enqueueArgs(registrationId, message), seen.key, seen.expiresAt)) as Reply[];
        return text(reply[0]) === 'SEEN' ? undefined : toEnqueueResult(registrationId, message, reply);
      }),
    listMessages: (query) => withStoreErrors(() => listMessages(query)),
    getMessage: (id) =>
      withStoreErrors(async () => {
        const fields = (await client.hmgetBuffer(`${prefix}m:${id}`, ...MESSAGE_FIELDS)) as Reply[];
        if (fields[0] === null) return undefined;
        const message = toMessage(fields);
        return message.expiresAt > clock.now() ? message : undefined;
      }),
    ack: (messageId) => withStoreErrors(async () => (await run('ack', messageId)) === 1),
    markSeen: (key, expiry) => withStoreErrors(async () => (await run('markSeen', key, expiry, clock.now())) === 1),
    putRecord: (namespace, record) =>
      withStoreErrors(async () => {
        await run('putRecord', namespace, record.id, encodeRecord(record), record.expiresAt ?? '');
      }),
    getRecord: (namespace, id) =>
      withStoreErrors(async () => {
        const record = decodeRecord(id, await client.hget(`${prefix}d:${namespace}`, id));
        return record && live(record) ? record : undefined;
      }),
    deleteRecord: (namespace, id) => withStoreErrors(async () => (await run('deleteRecord', namespace, id)) === 1),
    listRecords: (namespace) =>
      withStoreErrors(async () => {
        const fields = await client.hgetall(`${prefix}d:${namespace}`);
        return Object.keys(fields)
          .sort()
          .flatMap((id) => decodeRecord(id, fields[id]) ?? [])
          .filter(live);
      }),
    countRecords: (namespace) =>
      withStoreErrors(async () => {
        // Expired records wait in the hash until the purge: count them out.
        const replies = await client.multi().hlen(`${prefix}d:${namespace}`).zcount(`${prefix}dx:${namespace}`, '-inf', clock.now()).exec();
        const [all, expired] = (replies ?? []).map(([error, count]) => {
          if (error) throw error;
          return Number(count);
        });
        return Math.max(0, (all ?? 0) - (expired ?? 0));
      }),
    listExpiringRecords: (namespace, before, limit) =>
      withStoreErrors(async () => {
        if (limit <= 0) return [];
        const ids = await client.zrangebyscore(`${prefix}dx:${namespace}`, '-inf', before, 'LIMIT', 0, limit);
        if (ids.length === 0) return [];
        const fields = await client.hmget(`${prefix}d:${namespace}`, ...ids);
        return ids.flatMap((id, i) => decodeRecord(id, fields[i]) ?? []);
      }),

    ping: () =>
      withStoreErrors(async () => {
        await client.ping();
      }),

    purgeExpired: () =>
      withStoreErrors(async () => {
        let expired = 0;
        for (;;) {
          const [count, more] = (await run('purgeExpired', clock.now(), settings.purgeBatchSize)) as number[];
          expired += count ?? 0;
          if (!more) return expired;
        }
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      if (options.client === undefined) await client.quit().catch(() => client.disconnect());
    },
  };
}
