import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFosspushError } from '@fosspush/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-schema-'));
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
      CREATE TABLE registrations (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER, data TEXT NOT NULL) STRICT;
      CREATE INDEX registrations_by_owner ON registrations (owner);
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
        registration_id TEXT NOT NULL REFERENCES registrations (id) ON DELETE CASCADE, owner TEXT NOT NULL,
        payload BLOB NOT NULL, ttl_seconds INTEGER NOT NULL, urgency TEXT NOT NULL, topic TEXT,
        sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE seen (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) STRICT, WITHOUT ROWID;
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

  it('opens a database of the current version again without migrating it', async () => {
    const path = join(dir, 'current.db');
    await createSqliteStore({ path }).close();
    await createSqliteStore({ path }).close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });
});
