import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@fosspush/core';
import { ensurePrivateFile, ensurePrivateFolder } from '@fosspush/ipc';

/** The daemon's database; in WAL mode SQLite keeps `-wal` and `-shm` files beside it. */
export const DATABASE_FILE = 'fosspushd.db';

async function tightenIfPresent(path: string): Promise<void> {
  await chmod(path, 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
}

/**
 * Makes the data folder and the database private before SQLite opens it. The database holds
 * subscription-set URLs, secret capabilities, so no other user may read it:
 * - a loose folder of ours (0755 from an older version, or made by hand) is tightened to 0700,
 *   and one another user owns is refused (INSECURE_PATH);
 * - the database file is made 0600 before SQLite opens it, because SQLite would create it 0644
 *   minus the umask, and it gives new -wal and -shm files the database's own mode; -wal and
 *   -shm files left by an earlier run are set 0600 too.
 */
export async function prepareDataFolder(dataDir: string, logger: Logger): Promise<string> {
  const { tightenedFrom } = await ensurePrivateFolder(dataDir);
  if (tightenedFrom !== undefined) {
    logger.warn('data_folder_tightened', { dataDir, from: `0${tightenedFrom.toString(8)}`, to: '0700' });
  }
  const database = join(dataDir, DATABASE_FILE);
  await ensurePrivateFile(database);
  await tightenIfPresent(`${database}-wal`);
  await tightenIfPresent(`${database}-shm`);
  return database;
}
