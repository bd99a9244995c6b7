import { chmodSync, closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FosspushError } from '@fosspush/core';
import Database from 'better-sqlite3';

export interface SqliteBackupResult {
  /** Where the copy was written. */
  path: string;
  /** Database pages copied (one page is 4 KiB by default). */
  pages: number;
  /** The copy's `PRAGMA user_version`: the schema version it restores to. */
  schemaVersion: number;
}

// Every page in one step: a WAL reader does not block the server's writes, and a single step
// cannot be restarted over and over by a busy writer, as small steps can.
const ALL_PAGES = 0x7fffffff;

/**
 * Copies a live database with SQLite's online backup API: a consistent snapshot, taken while
 * the server keeps writing. The copy is private from its first byte (mode 0600: it holds every
 * set id, and a set id opens that device's stream), is checked with `PRAGMA quick_check`, and
 * replaces `target` atomically, so a failed backup never leaves a half-written file there.
 *
 * @example
 * await backupSqliteDatabase('/var/lib/fosspush/server.db', '/var/backups/fosspush/server.db');
 */
export async function backupSqliteDatabase(source: string, target: string): Promise<SqliteBackupResult> {
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new FosspushError('NOT_FOUND', `cannot open the database ${source}: ${(error as Error).message}`, { cause: error });
  }
  const partial = join(dirname(target), `.${basename(target)}.partial-${process.pid}`);
  try {
    // Created empty with 0600 before SQLite writes to it; SQLite gives its journal the same mode.
    closeSync(openSync(partial, 'wx', 0o600));
    const { totalPages } = await db.backup(partial, { progress: () => ALL_PAGES });
    const copy = new Database(partial, { fileMustExist: true });
    let schemaVersion: number;
    try {
      const check = copy.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new FosspushError('INTERNAL', `the backup of ${source} failed its check: ${String(check)}`);
      schemaVersion = copy.pragma('user_version', { simple: true }) as number;
    } finally {
      copy.close();
    }
    chmodSync(partial, 0o600);
    const fd = openSync(partial, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(partial, target);
    return { path: target, pages: totalPages, schemaVersion };
  } catch (error) {
    rmSync(partial, { force: true });
    rmSync(`${partial}-journal`, { force: true });
    throw error;
  } finally {
    db.close();
  }
}
