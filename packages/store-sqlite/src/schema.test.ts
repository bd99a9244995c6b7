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

  it('opens a database of the current version again without migrating it', async () => {
    const path = join(dir, 'current.db');
    await createSqliteStore({ path }).close();
    await createSqliteStore({ path }).close();
    const after = new Database(path, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });
});
