// The store's hot path (src/message-statements.ts, schema 3) against what it replaced (the
// INSERT ... SELECT ... RETURNING of schema 2, on schema 2's indexes), in the same run: CPU per
// message for an enqueue and its ack, in group-commit transactions of 6 messages (what the push
// server's fan-out bench queued per event-loop turn) and of 64, with 300 messages in flight
// (queued, not yet acked). Schema 2 is schema 3 plus its index by registration; its foreign
// key is left out, which measured no difference. The statements alone, on schema 2's indexes,
// are an extra figure.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportBench } from '@fosspush/testing';
import Database from 'better-sqlite3';
import { MESSAGE_STATEMENTS } from '../src/message-statements.js';
import { migrate } from '../src/schema.js';

const REGISTRATIONS = 10_000;
const OWNERS = 1_000;
const MESSAGES_PER_ROUND = 60_000;
const IN_FLIGHT = 300;
const ROUNDS = Number(process.env['FOSSPUSH_BENCH_ROUNDS'] ?? 3);
const SCHEMA_2_INDEX = 'CREATE INDEX messages_by_registration ON messages (registration_id, seq)';

/** Until 826ed4d: one statement, named parameters bound from an object per message. */
const PREVIOUS_INSERT = `INSERT INTO messages (id, registration_id, owner, payload, ttl_seconds, urgency, topic, sent_at, expires_at)
  SELECT @id, id, owner, @payload, @ttl, @urgency, @topic, @sentAt, @expiresAt FROM registrations
  WHERE id = @registration AND (expires_at IS NULL OR expires_at > @now)
  ON CONFLICT (id) DO NOTHING
  RETURNING seq, owner`;

type Enqueue = (id: string, registration: string, payload: Uint8Array, now: number) => { seq: number; owner: string } | undefined;

const dir = mkdtempSync(join(tmpdir(), 'fosspush-statements-'));
const ids = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => `${prefix}${i}-${randomBytes(12).toString('base64url')}`);
const registrations = ids(REGISTRATIONS, 'r');
const owners = ids(OWNERS, 'o');
const payload = randomBytes(300);
let databases = 0;

function openDatabase(schema: 2 | 3): Database.Database {
  const db = new Database(join(dir, `bench-${databases++}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = normal');
  db.pragma('foreign_keys = ON');
  migrate(db);
  if (schema === 2) db.exec(SCHEMA_2_INDEX);
  const put = db.prepare('INSERT INTO registrations (id, owner, created_at, expires_at, data) VALUES (?, ?, 1, NULL, ?)');
  db.transaction(() => {
    for (const [i, id] of registrations.entries()) put.run(id, owners[i % OWNERS] as string, '{}');
  })();
  return db;
}

const previous = (db: Database.Database): Enqueue => {
  const insert = db.prepare<[Record<string, unknown>], { seq: number; owner: string }>(PREVIOUS_INSERT);
  return (id, registration, message, now) =>
    insert.get({ registration, now, id, payload: message, ttl: 60, urgency: 'normal', topic: null, sentAt: now, expiresAt: now + 60_000 });
};

const current = (db: Database.Database): Enqueue => {
  const liveOwner = db.prepare<[string, number], string>(MESSAGE_STATEMENTS.liveOwner).pluck();
  const insert = db.prepare(MESSAGE_STATEMENTS.insertMessage);
  return (id, registration, message, now) => {
    const owner = liveOwner.get(registration, now);
    if (owner === undefined) return undefined;
    const { changes, lastInsertRowid } = insert.run(id, registration, owner, message, 60, 'normal', null, now, now + 60_000);
    return changes === 0 ? undefined : { seq: lastInsertRowid as number, owner };
  };
};

/** CPU µs per message: each transaction queues `batch` messages and acks the oldest beyond IN_FLIGHT. */
function cpuPerMessage(statements: (db: Database.Database) => Enqueue, schema: 2 | 3, batch: number): number {
  const db = openDatabase(schema);
  const enqueue = statements(db);
  const ack = db.prepare(MESSAGE_STATEMENTS.deleteMessage);
  const queued: string[] = [];
  let next = 0;
  const turn = db.transaction(() => {
    const now = Date.now();
    while (queued.length > IN_FLIGHT) {
      const id = queued.shift() as string;
      if (ack.run(id).changes !== 1) throw new Error(`message ${id} was not queued`);
    }
    for (let i = 0; i < batch; i++) {
      const id = `m${next}`;
      if (!enqueue(id, registrations[(next++ * 7919) % REGISTRATIONS] as string, payload, now)) throw new Error(`message ${id} was not queued`);
      queued.push(id);
    }
  });
  for (let i = 0; i < 2000 / batch; i++) turn();
  const turns = Math.round(MESSAGES_PER_ROUND / batch);
  const start = process.cpuUsage();
  for (let i = 0; i < turns; i++) turn();
  const used = process.cpuUsage(start);
  db.close();
  return (used.user + used.system) / (turns * batch);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  const cases = [6, 64].map((batch) => {
    const before: number[] = [];
    const statementsOnly: number[] = [];
    const after: number[] = [];
    // Alternating, so all see the same load on a shared machine.
    for (let round = 0; round < ROUNDS; round++) {
      before.push(cpuPerMessage(previous, 2, batch));
      statementsOnly.push(cpuPerMessage(current, 2, batch));
      after.push(cpuPerMessage(current, 3, batch));
    }
    const figures = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
    console.log(`batch ${batch}: schema 2 ${figures(before)} µs, its indexes with the new statements ${figures(statementsOnly)} µs, schema 3 ${figures(after)} µs`);
    const rounded = (values: number[]) => Math.round(median(values) * 100) / 100;
    return {
      name: `enqueue+ack CPU per message, ${batch} messages per transaction, ${IN_FLIGHT} in flight, SQLite WAL normal`,
      unit: 'µs',
      higherIsBetter: false,
      ours: { label: 'schema 3: lookup + INSERT, positional', value: rounded(after) },
      baseline: { label: 'schema 2: INSERT ... SELECT ... RETURNING, named', value: rounded(before) },
      extra: { newStatementsOnSchema2Indexes: rounded(statementsOnly) },
    };
  });
  reportBench('store-statements', cases);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
