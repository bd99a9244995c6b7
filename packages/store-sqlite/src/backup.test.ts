import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPushMessage, isFosspushError } from '@fosspush/core';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupSqliteDatabase } from './backup.js';
import { SCHEMA_VERSION } from './schema.js';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('backupSqliteDatabase', () => {
  it('copies a database that is being written, into a 0600 file that opens with every acknowledged write', async () => {
    const source = join(dir, 'live.db');
    const store = createSqliteStore({ path: source });
    await store.putRegistration({ id: 'r', owner: 'device', createdAt: 1, data: {} });
    const before: string[] = [];
    for (let i = 0; i < 500; i++) before.push((await store.enqueue('r', createPushMessage({ payload: new Uint8Array(64), ttlSeconds: 3600 }))).message.id);
    // Writes keep going while the backup runs.
    let writing = true;
    const writer = (async () => {
      while (writing) await store.enqueue('r', createPushMessage({ payload: new Uint8Array(64), ttlSeconds: 3600 }));
    })();
    const target = join(dir, 'live.bak');
    const previousUmask = process.umask(0o022);
    try {
      const result = await backupSqliteDatabase(source, target);
      expect(result).toMatchObject({ path: target, schemaVersion: SCHEMA_VERSION });
      expect(result.pages).toBeGreaterThan(1);
    } finally {
      process.umask(previousUmask);
      writing = false;
      await writer;
      await store.close();
    }
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((name) => name.includes('partial'))).toEqual([]);

    const restored = createSqliteStore({ path: target });
    const ids = new Set((await restored.listMessages({ owner: 'device', limit: 100_000 })).map((m) => m.id));
    await restored.close();
    expect(before.every((id) => ids.has(id))).toBe(true);
  });

  it('replaces an existing backup and makes it private', async () => {
    const source = join(dir, 'small.db');
    await createSqliteStore({ path: source }).close();
    const target = join(dir, 'small.bak');
    writeFileSync(target, 'an older backup', { mode: 0o644 });
    await backupSqliteDatabase(source, target);
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const copy = new Database(target, { readonly: true });
    expect(copy.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    copy.close();
  });

  it('refuses a missing source with NOT_FOUND and leaves no partial file', async () => {
    const target = join(dir, 'none.bak');
    const failure = await backupSqliteDatabase(join(dir, 'missing.db'), target).catch((error: unknown) => error);
    expect(isFosspushError(failure, 'NOT_FOUND')).toBe(true);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(dir).filter((name) => name.includes('partial'))).toEqual([]);
  });
});
