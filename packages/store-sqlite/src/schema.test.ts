import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPushMessage, isFosspushError } from '@fosspush/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-schema-'));

/** The tables of schema version 1 as it shipped: the fixtures of older databases start from them. */
const VERSION_1_TABLES = `
  CREATE TABLE registrations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, data TEXT NOT NULL) STRICT;
  CREATE INDEX registrations_by_owner ON registrations (owner);
  CREATE TABLE messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE, owner TEXT NOT NULL,
    payload BLOB NOT NULL, ttl_seconds INTEGER NOT NULL, urgency TEXT NOT NULL, topic TEXT,
    sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE TABLE seen (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
`;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('schema versions', () => {
  it('refuses a database written by a newer version, and leaves it untouched', () => {
    const path = join(dir, 'newer.db');
    const raw = new Database(path);
    raw.pragma('user_version = 99');
    raw.close();
    let failure: unknown;
    try {
      createSqliteStore({ path });
    } catch (error) {
      failure = error;
    }
    expect(isFosspushError(failure, 'UNSUPPORTED_STORE_VERSION')).toBe(true);
    expect((failure as Error).message).toMatch(/schema version 99.*newer fosspush/);
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(99);
    expect(after.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get()).toEqual({ n: 0 });
    after.close();
  });

  it('upgrades a version 1 database: the daemon records kept as registrations under ~ owners become records', async () => {
    const path = join(dir, 'version-1.db');
    const old = new Database(path);
    // The version 1 schema as it shipped, and rows as the daemon of that version wrote them.
    old.exec(`
      ${VERSION_1_TABLES}
      PRAGMA user_version = 1;
    `);
    const insert = old.prepare('INSERT INTO registrations (id, owner, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?)');
    insert.run('~apps/org.example.chat', '~apps', 1, null, JSON.stringify({ value: 'digest-of-secret' }));
    insert.run('~state/acct-1/set', '~state/acct-1', 2, null, JSON.stringify({ value: '{"url":"https://push.example/set/x"}' }));
    insert.run('~state/acct-1/a/b', '~state/acct-1', 3, null, JSON.stringify({ value: 'key with a slash' }));
    insert.run('~deleted/org.example.chat', '~deleted', 4, null, JSON.stringify({ value: '3' }));
    insert.run('reg-1', 'org.example.chat', 5, null, JSON.stringify({ instance: 'main' }));
    old.close();

    const store = createSqliteStore({ path });
    expect(await store.listRecords('apps')).toEqual([{ id: 'org.example.chat', value: 'digest-of-secret' }]);
    expect(await store.listRecords('state/acct-1')).toEqual([
      { id: 'a/b', value: 'key with a slash' },
      { id: 'set', value: '{"url":"https://push.example/set/x"}' },
    ]);
    expect(await store.getRecord('deleted', 'org.example.chat')).toEqual({ id: 'org.example.chat', value: '3' });
    // The app's registration stays a registration; the records are registrations no more.
    expect(await store.getRegistration('reg-1')).toMatchObject({ owner: 'org.example.chat', data: { instance: 'main' } });
    expect(await store.countRegistrations()).toBe(1);
    expect(await store.listRegistrations('~apps')).toEqual([]);
    await store.close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });

  it('upgrades a version 2 database: its queued messages stay, seqs are still never reused, and a registration still takes its messages along', async () => {
    const path = join(dir, 'version-2.db');
    const old = new Database(path);
    // The version 2 schema as it shipped, and messages as a store of that version queued them.
    old.exec(`
      ${VERSION_1_TABLES}
      CREATE INDEX messages_by_owner ON messages (owner, seq);
      CREATE INDEX messages_by_registration ON messages (registration_id, seq);
      CREATE INDEX messages_by_topic ON messages (registration_id, topic) WHERE topic IS NOT NULL;
      CREATE INDEX messages_by_expiry ON messages (expires_at);
      CREATE TABLE records (namespace TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, expires_at INTEGER, PRIMARY KEY (namespace, id)) STRICT, WITHOUT ROWID;
      CREATE INDEX records_by_expiry ON records (namespace, expires_at, id) WHERE expires_at IS NOT NULL;
      CREATE INDEX records_to_purge ON records (expires_at) WHERE expires_at IS NOT NULL;
      INSERT INTO registrations VALUES ('reg-a', 'device-1', 1, NULL, '{}'), ('reg-b', 'device-1', 2, NULL, '{}'), ('reg-c', 'device-2', 3, NULL, '{}');
      PRAGMA user_version = 2;
    `);
    const far = 4_000_000_000_000;
    const queue = old.prepare(
      "INSERT INTO messages (id, registration_id, owner, payload, ttl_seconds, urgency, topic, sent_at, expires_at) VALUES (?, ?, ?, ?, 60, 'normal', ?, 10, ?)",
    );
    queue.run('m-1', 'reg-a', 'device-1', Buffer.from([1]), null, far);
    queue.run('m-2', 'reg-b', 'device-1', Buffer.from([2]), 'weather', far);
    queue.run('m-3', 'reg-c', 'device-2', Buffer.from([3]), null, far);
    queue.run('m-4', 'reg-a', 'device-1', Buffer.from([4]), null, far);
    // The newest message was acked: only sqlite_sequence still knows seq 4 was handed out.
    old.prepare("DELETE FROM messages WHERE id = 'm-4'").run();
    old.close();

    const store = createSqliteStore({ path });
    const device1 = await store.listMessages({ owner: 'device-1' });
    expect(device1.map((m) => [m.id, m.seq, m.registrationId, m.topic])).toEqual([
      ['m-1', 1, 'reg-a', undefined],
      ['m-2', 2, 'reg-b', 'weather'],
    ]);
    expect(device1[0]?.payload).toEqual(new Uint8Array([1]));
    expect((await store.listMessages({ registrationId: 'reg-c' })).map((m) => m.id)).toEqual(['m-3']);
    const next = await store.enqueue('reg-a', createPushMessage({ payload: new Uint8Array([5]), ttlSeconds: 60 }));
    expect(next.message.seq).toBe(5);
    // The topic index survived the rebuild: a message of the same topic replaces m-2.
    const replacing = await store.enqueue('reg-b', createPushMessage({ payload: new Uint8Array([6]), ttlSeconds: 60, topic: 'weather' }));
    expect(replacing.replacedId).toBe('m-2');
    expect(await store.deleteRegistration('reg-a')).toBe(true);
    expect((await store.listMessages({ owner: 'device-1' })).map((m) => m.id)).toEqual([replacing.message.id]);
    await store.close();

    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages' AND sql IS NOT NULL ORDER BY name").pluck().all()).toEqual([
      'messages_by_expiry',
      'messages_by_owner',
      'messages_by_topic',
    ]);
    expect(after.pragma('foreign_key_check')).toEqual([]);
    after.close();
  });

  it('opens a database of the current version again without migrating it', async () => {
    const path = join(dir, 'current.db');
    await createSqliteStore({ path }).close();
    await createSqliteStore({ path }).close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });
});
