import {
  type EnqueueResult,
  expiresAt,
  FosspushError,
  isFosspushError,
  type MessageQuery,
  type PushMessage,
  type Registration,
  resolveRuntime,
  type SeenMark,
  type Store,
  type StoredMessage,
  type StoreOptions,
  type StoreRecord,
  storedMessage,
  type Urgency,
  withDefaults,
} from '@fosspush/core';
import Database from 'better-sqlite3';
import { MESSAGE_STATEMENTS } from './message-statements.js';
import { migrate } from './schema.js';
import { startWalCheckpointer } from './wal-checkpointer.js';

export interface SqliteStoreOptions extends StoreOptions {
  /**
   * Database file, created if missing. `:memory:` keeps everything in memory (tests).
   * @default ':memory:'
   */
  path?: string;
  /**
   * `normal` survives a crash of the process (every resolved write is in the WAL); `full`
   * also survives power loss, at the cost of an fsync per write.
   * @default 'normal'
   */
  synchronous?: 'normal' | 'full';
  /** @default 5000 */
  busyTimeoutMs?: number;
}

export const SQLITE_STORE_DEFAULTS = {
  path: ':memory:',
  synchronous: 'normal',
  busyTimeoutMs: 5000,
} as const satisfies Required<Omit<SqliteStoreOptions, 'runtime'>>;

interface MessageRow {
  seq: number;
  id: string;
  registration_id: string;
  owner: string;
  payload: Buffer;
  ttl_seconds: number;
  urgency: string;
  topic: string | null;
  sent_at: number;
  expires_at: number;
}

interface RegistrationRow {
  id: string;
  owner: string;
  created_at: number;
  expires_at: number | null;
  data: string;
}

interface RecordRow {
  id: string;
  value: string;
  expires_at: number | null;
}

function toRecord(row: RecordRow): StoreRecord {
  const record = { id: row.id, value: JSON.parse(row.value) };
  return row.expires_at === null ? record : { ...record, expiresAt: row.expires_at };
}

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    seq: row.seq,
    id: row.id,
    registrationId: row.registration_id,
    owner: row.owner,
    payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength),
    ttlSeconds: row.ttl_seconds,
    urgency: row.urgency as Urgency,
    sentAt: row.sent_at,
    expiresAt: row.expires_at,
  };
  return row.topic === null ? message : { ...message, topic: row.topic };
}

function toRegistration(row: RegistrationRow): Registration {
  const registration = { id: row.id, owner: row.owner, createdAt: row.created_at, data: JSON.parse(row.data) };
  return row.expires_at === null ? registration : { ...registration, expiresAt: row.expires_at };
}

/**
 * The embedded store: one SQLite file in WAL mode. Calls are synchronous underneath
 * (better-sqlite3); each write is one transaction, committed before its promise resolves.
 *
 * @example
 * const store = createSqliteStore({ path: '/var/lib/fosspush/server.db' });
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): Store {
  const settings = withDefaults(SQLITE_STORE_DEFAULTS, options);
  const { clock } = resolveRuntime(options.runtime);
  const db = new Database(settings.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${settings.synchronous}`);
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${settings.busyTimeoutMs}`);
  try {
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  const inMemory = settings.path === ':memory:' || settings.path === '';
  const checkpointer = inMemory ? undefined : startWalCheckpointer(db, settings.path, { busyTimeoutMs: settings.busyTimeoutMs });

  const sql = {
    putRegistration: db.prepare(
      `INSERT INTO registrations (id, owner, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, created_at = excluded.created_at,
         expires_at = excluded.expires_at, data = excluded.data`,
    ),
    getRegistration: db.prepare<[string, number], RegistrationRow>(
      'SELECT * FROM registrations WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    listRegistrations: db.prepare<[string, number], RegistrationRow>(
      'SELECT * FROM registrations WHERE owner = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id',
    ),
    deleteRegistration: db.prepare<[string]>('DELETE FROM registrations WHERE id = ?'),
    countOwned: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM registrations WHERE owner = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    countAll: db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM registrations WHERE expires_at IS NULL OR expires_at > ?'),
    listExpiring: db.prepare<[string, number, number], RegistrationRow>(
      'SELECT * FROM registrations WHERE owner = ? AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?',
    ),
    messageById: db.prepare<[string], MessageRow>('SELECT * FROM messages WHERE id = ?'),
    liveMessageById: db.prepare<[string, number], MessageRow>('SELECT * FROM messages WHERE id = ? AND expires_at > ?'),
    sameTopic: db.prepare<[string, string], { id: string }>('SELECT id FROM messages WHERE registration_id = ? AND topic = ?'),
    deleteMessage: db.prepare<[string]>(MESSAGE_STATEMENTS.deleteMessage),
    // The hot path: see message-statements.ts.
    liveOwner: db.prepare<[string, number], string>(MESSAGE_STATEMENTS.liveOwner).pluck(),
    insertMessage: db.prepare<[string, string, string, Uint8Array, number, string, string | null, number, number]>(MESSAGE_STATEMENTS.insertMessage),
    // One statement per query shape, so that each has its index: a `(? IS NULL OR owner = ?)`
    // filter cannot use one, and scanned every queued message from the cursor on.
    listMessagesOf: db.prepare<[string, number, number, number], MessageRow>(
      'SELECT * FROM messages WHERE owner = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
    ),
    listMessagesOfOwnerAndRegistration: db.prepare<[string, string, number, number, number], MessageRow>(
      'SELECT * FROM messages WHERE owner = ? AND registration_id = ? AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?',
    ),
    // A message's owner is its registration's (schema.ts): the owner index finds them.
    listMessagesOfRegistration: db.prepare<[string, string, number, number, number], MessageRow>(
      `SELECT * FROM messages WHERE owner = (SELECT owner FROM registrations WHERE id = ?) AND registration_id = ?
         AND seq > ? AND expires_at > ? ORDER BY seq LIMIT ?`,
    ),
    listAllMessages: db.prepare<[number, number, number], MessageRow>('SELECT * FROM messages WHERE seq > ? AND expires_at > ? ORDER BY seq LIMIT ?'),
    seenExpiry: db.prepare<[string], { expires_at: number }>('SELECT expires_at FROM seen WHERE key = ?'),
    putSeen: db.prepare('INSERT INTO seen (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at'),
    putRecord: db.prepare<[string, string, string, number | null]>(
      `INSERT INTO records (namespace, id, value, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (namespace, id) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    getRecord: db.prepare<[string, string, number], RecordRow>(
      'SELECT id, value, expires_at FROM records WHERE namespace = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    deleteRecord: db.prepare<[string, string]>('DELETE FROM records WHERE namespace = ? AND id = ?'),
    listRecords: db.prepare<[string, number], RecordRow>(
      'SELECT id, value, expires_at FROM records WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY id',
    ),
    countRecords: db.prepare<[string, number], { n: number }>(
      'SELECT count(*) AS n FROM records WHERE namespace = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    listExpiringRecords: db.prepare<[string, number, number], RecordRow>(
      'SELECT id, value, expires_at FROM records WHERE namespace = ? AND expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?',
    ),
    // Reads the schema page, so it fails when the file can no longer be read.
    ping: db.prepare('SELECT count(*) FROM sqlite_schema'),
    purgeMessages: db.prepare<[number]>('DELETE FROM messages WHERE expires_at <= ?'),
    purgeRecords: db.prepare<[number]>('DELETE FROM records WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    purgeRegistrations: db.prepare<[number]>('DELETE FROM registrations WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    purgeSeen: db.prepare<[number]>('DELETE FROM seen WHERE expires_at <= ?'),
  };

  /** The owner of a live registration; NOT_FOUND for an unknown or expired one. */
  const liveOwner = (registrationId: string): string => {
    const owner = sql.liveOwner.get(registrationId, clock.now());
    if (owner === undefined) throw new FosspushError('NOT_FOUND', `no registration ${registrationId}`);
    return owner;
  };

  /** The queued copy when the id is already queued. */
  const alreadyQueued = (messageId: string): EnqueueResult | undefined => {
    const existing = sql.messageById.get(messageId);
    return existing && { message: toMessage(existing), created: false };
  };

  const enqueue = (registrationId: string, message: PushMessage, replacedId?: string): EnqueueResult => {
    const owner = liveOwner(registrationId);
    const { changes, lastInsertRowid } = sql.insertMessage.run(
      message.id,
      registrationId,
      owner,
      message.payload,
      message.ttlSeconds,
      message.urgency,
      message.topic ?? null,
      message.sentAt,
      expiresAt(message),
    );
    if (changes === 0) {
      const queued = alreadyQueued(message.id);
      if (!queued) throw new FosspushError('INTERNAL', `message ${message.id} was neither stored nor found`);
      return queued;
    }
    const stored = storedMessage(message, { seq: lastInsertRowid as number, registrationId, owner });
    return replacedId === undefined ? { message: stored, created: true } : { message: stored, created: true, replacedId };
  };

  // With a topic, the queued message of that topic goes first, but not for a retry of a queued
  // id: several statements, so a transaction (a savepoint inside the group commit's).
  const enqueueReplacingTopic = db.transaction((registrationId: string, message: PushMessage & { topic: string }): EnqueueResult => {
    liveOwner(registrationId);
    const queued = alreadyQueued(message.id);
    if (queued) return queued;
    let replacedId: string | undefined;
    for (const { id } of sql.sameTopic.all(registrationId, message.topic)) {
      sql.deleteMessage.run(id);
      replacedId = id;
    }
    return enqueue(registrationId, message, replacedId);
  });

  const queueMessage = (registrationId: string, message: PushMessage): EnqueueResult =>
    message.topic === undefined ? enqueue(registrationId, message) : enqueueReplacingTopic(registrationId, message as PushMessage & { topic: string });

  const markSeen = db.transaction((key: string, expiry: number): boolean => {
    const known = sql.seenExpiry.get(key);
    if (known && known.expires_at > clock.now()) return false;
    sql.putSeen.run(key, expiry);
    return true;
  });

  // Enqueue and mark in one savepoint: a NOT_FOUND (or any failure) backs out the mark with the
  // rest, which marking in the same group commit as a separate call would not do.
  const enqueueUnseen = db.transaction((registrationId: string, message: PushMessage, seen: SeenMark): EnqueueResult | undefined => {
    const known = sql.seenExpiry.get(seen.key);
    if (known && known.expires_at > clock.now()) return undefined;
    const result = queueMessage(registrationId, message);
    if (result.message.registrationId === registrationId) sql.putSeen.run(seen.key, seen.expiresAt);
    return result;
  });

  const purge = db.transaction((now: number): number => {
    const { changes } = sql.purgeMessages.run(now);
    sql.purgeRegistrations.run(now);
    sql.purgeSeen.run(now);
    sql.purgeRecords.run(now);
    return changes;
  });

  // Group commit: calls made in the same turn of the event loop run in order inside one
  // transaction. A commit (a WAL append) per call capped throughput (figures:
  // docs/push-server.md); concurrent writers such as a push server's acks now share one. A failure touches only its
  // caller: SQLite backs out a failed statement and keeps the transaction, and work of several
  // statements is a db.transaction, which nests as a savepoint. Every promise still resolves
  // only after its commit.
  //
  // The calls waiting for the next batch, flat, CALL_SLOTS slots each: the work, its two
  // arguments, resolve, reject. No object per call, and the hot calls (enqueue, ack) pass a
  // function made once with their arguments, not a closure made per call. Once the batch has
  // run, a call's work slot holds its outcome, and its resolve slot its reject when it failed.
  type Work = (first: never, second: never) => unknown;
  type Settle = (outcome: unknown) => void;
  const CALL_SLOTS = 5;
  let queue: unknown[] = [];
  let flushScheduled = false;
  let closed = false;
  const runBatch = db.transaction((batch: unknown[]) => {
    for (let call = 0; call < batch.length; call += CALL_SLOTS) {
      try {
        batch[call] = (batch[call] as Work)(batch[call + 1] as never, batch[call + 2] as never);
      } catch (error) {
        batch[call] = error;
        batch[call + 3] = batch[call + 4];
      }
    }
  });

  function flush(): void {
    flushScheduled = false;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    try {
      runBatch(batch);
    } catch (error) {
      for (let call = 0; call < batch.length; call += CALL_SLOTS) (batch[call + 4] as Settle)(error);
      return;
    }
    for (let call = 0; call < batch.length; call += CALL_SLOTS) (batch[call + 3] as Settle)(batch[call]);
    // After settling: whatever the checkpointer does, the batch's callers already have their answers.
    checkpointer?.committed();
  }

  function inNextBatch<T>(work: () => T): Promise<T>;
  function inNextBatch<T, A, B>(work: (first: A, second: B) => T, first: A, second: B): Promise<T>;
  function inNextBatch<T>(work: (first: unknown, second: unknown) => T, first?: unknown, second?: unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (closed) throw new FosspushError('CLOSED', 'the store is closed');
      queue.push(work, first, second, resolve, reject);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  }

  const removeMessage = (messageId: string): boolean => sql.deleteMessage.run(messageId).changes > 0;

  const listMessages = (query: MessageQuery): StoredMessage[] => {
    const { owner, registrationId } = query;
    const now = clock.now();
    const after = query.afterSeq ?? 0;
    const limit = query.limit ?? 1000;
    const rows =
      owner === undefined
        ? registrationId === undefined
          ? sql.listAllMessages.all(after, now, limit)
          : sql.listMessagesOfRegistration.all(registrationId, registrationId, after, now, limit)
        : registrationId === undefined
          ? sql.listMessagesOf.all(owner, after, now, limit)
          : sql.listMessagesOfOwnerAndRegistration.all(owner, registrationId, after, now, limit);
    return rows.map(toMessage);
  };

  return {
    putRegistration: (r) =>
      inNextBatch(() => {
        sql.putRegistration.run(r.id, r.owner, r.createdAt, r.expiresAt ?? null, JSON.stringify(r.data));
      }),
    getRegistration: (id) =>
      inNextBatch(() => {
        const row = sql.getRegistration.get(id, clock.now());
        return row && toRegistration(row);
      }),
    listRegistrations: (owner) => inNextBatch(() => sql.listRegistrations.all(owner, clock.now()).map(toRegistration)),
    deleteRegistration: (id) => inNextBatch(() => sql.deleteRegistration.run(id).changes > 0),
    countRegistrations: (owner) =>
      inNextBatch(() => (owner === undefined ? sql.countAll.get(clock.now()) : sql.countOwned.get(owner, clock.now()))?.n ?? 0),
    listExpiringRegistrations: (owner, before, limit) => inNextBatch(() => sql.listExpiring.all(owner, before, limit).map(toRegistration)),
    enqueue: (registrationId, message) => inNextBatch(queueMessage, registrationId, message),
    listMessages: (query: MessageQuery) => inNextBatch(listMessages, query, undefined),
    getMessage: (id) =>
      inNextBatch(() => {
        const row = sql.liveMessageById.get(id, clock.now());
        return row && toMessage(row);
      }),
    ack: (messageId) => inNextBatch(removeMessage, messageId, undefined),
    markSeen: (key, expiry) => inNextBatch(() => markSeen(key, expiry)),
    enqueueUnseen: (registrationId, message, seen) => inNextBatch(() => enqueueUnseen(registrationId, message, seen)),
    putRecord: (namespace, record) =>
      inNextBatch(() => {
        sql.putRecord.run(namespace, record.id, JSON.stringify(record.value), record.expiresAt ?? null);
      }),
    getRecord: (namespace, id) =>
      inNextBatch(() => {
        const row = sql.getRecord.get(namespace, id, clock.now());
        return row && toRecord(row);
      }),
    deleteRecord: (namespace, id) => inNextBatch(() => sql.deleteRecord.run(namespace, id).changes > 0),
    listRecords: (namespace) => inNextBatch(() => sql.listRecords.all(namespace, clock.now()).map(toRecord)),
    countRecords: (namespace) => inNextBatch(() => sql.countRecords.get(namespace, clock.now())?.n ?? 0),
    listExpiringRecords: (namespace, before, limit) => inNextBatch(() => sql.listExpiringRecords.all(namespace, before, limit).map(toRecord)),
    ping: async () => {
      try {
        await inNextBatch(() => sql.ping.get());
      } catch (cause) {
        if (isFosspushError(cause)) throw cause;
        throw new FosspushError('UNAVAILABLE', 'the store does not answer: its database cannot be read', { cause });
      }
    },
    purgeExpired: () => inNextBatch(() => purge(clock.now())),
    close: async () => {
      if (closed) return;
      closed = true;
      flush();
      await checkpointer?.close();
      db.close();
    },
  };
}
