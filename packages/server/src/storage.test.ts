import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFosspushError, resolveRuntime, silentLogger } from '@fosspush/core';
import { afterEach, describe, expect, it } from 'vitest';
import { openStorage, STORAGE_DRIVER_IMPORTS, type StorageDriverImports } from './storage.js';

const runtime = resolveRuntime();

/** What Node's loader throws when a package is not installed. */
function notInstalled(packageName: string): Error {
  return Object.assign(new Error(`Cannot find package '${packageName}' imported from /srv/app/node_modules/@fosspush/server/dist/index.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

/** Importers that record which driver was asked for, and fail as when neither is installed. */
function absentDrivers(): { imports: StorageDriverImports; imported: string[] } {
  const imported: string[] = [];
  return {
    imported,
    imports: {
      sqlite: () => {
        imported.push('sqlite');
        return Promise.reject(notInstalled('@fosspush/store-sqlite'));
      },
      redis: () => {
        imported.push('redis');
        return Promise.reject(notInstalled('@fosspush/store-redis'));
      },
    },
  };
}

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('openStorage', () => {
  it('memory storage imports neither driver', async () => {
    const { imports, imported } = absentDrivers();
    const storage = openStorage({ kind: 'memory' }, runtime, silentLogger, imports);
    await storage.ready();
    expect(await storage.store.countRegistrations()).toBe(0);
    await storage.close();
    expect(imported).toEqual([]);
  });

  it.each([
    ['sqlite', { kind: 'sqlite', path: '/nonexistent/server.db' }, '@fosspush/store-sqlite'],
    ['redis', { kind: 'redis', url: 'redis://127.0.0.1:1' }, '@fosspush/store-redis'],
  ] as const)('%s storage without its driver installed: MISSING_DEPENDENCY naming the package, and close still resolves', async (kind, options, packageName) => {
    const { imports, imported } = absentDrivers();
    const storage = openStorage(options, runtime, silentLogger, imports);
    const error = await storage.ready().catch((e: unknown) => e);
    expect(isFosspushError(error, 'MISSING_DEPENDENCY')).toBe(true);
    expect((error as Error).message).toContain(`npm install ${packageName}`);
    await expect(storage.store.getRegistration('x')).rejects.toSatisfy((e) => isFosspushError(e, 'MISSING_DEPENDENCY'));
    await storage.close();
    expect(imported).toEqual([kind]);
  });

  it('sqlite storage imports its driver when chosen and works through it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'fosspush-storage-'));
    const storage = openStorage({ kind: 'sqlite', path: join(dir, 'server.db') }, runtime, silentLogger, STORAGE_DRIVER_IMPORTS);
    // A store call made before the driver is loaded waits for it.
    const put = storage.store.putRegistration({ id: 'r1', owner: 'set-1', createdAt: 1, data: {} });
    await storage.ready();
    await put;
    expect(await storage.store.listRegistrations('set-1')).toHaveLength(1);
    // Awaiting the store itself must not hang on a forwarded `then`.
    expect(await Promise.resolve(storage.store)).toBe(storage.store);
    await storage.close();
  });
});
