import { isFosspushError } from '@fosspush/core';
import { backupSqliteDatabase } from '@fosspush/store-sqlite';
import { EXIT } from './args.js';
import type { CliIo } from './run.js';

/** `fosspush-server backup`: an online, private, checked copy of the SQLite database. */
export async function runBackup(source: string, target: string, io: CliIo): Promise<number> {
  try {
    const result = await backupSqliteDatabase(source, target);
    io.stdout(`backed up ${source} to ${result.path} (${result.pages} pages, schema version ${result.schemaVersion})\n`);
    return EXIT.ok;
  } catch (error) {
    io.stderr(`fosspush-server: backup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    const code = (error as { code?: unknown }).code;
    if (isFosspushError(error, 'NOT_FOUND') || code === 'ENOENT' || code === 'EACCES' || code === 'EEXIST') return EXIT.cantCreate;
    return EXIT.software;
  }
}
