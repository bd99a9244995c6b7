import { describe, expect, it } from 'vitest';
import { isFosspushError } from './errors.js';
import { importOptional } from './optional-dependency.js';

/** What Node's loader throws for a package that is not installed. */
function notFound(packageName: string): Error {
  return Object.assign(new Error(`Cannot find package '${packageName}' imported from /app/node_modules/@fosspush/server/dist/index.js`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });
}

describe('importOptional', () => {
  it('returns what the import resolves to', async () => {
    await expect(importOptional('left-pad', 'padding', async () => ({ pad: 1 }))).resolves.toEqual({ pad: 1 });
  });

  it('turns the absent package into MISSING_DEPENDENCY naming what to install', async () => {
    const error = await importOptional('@fosspush/store-sqlite', 'SQLite storage', () => Promise.reject(notFound('@fosspush/store-sqlite'))).catch((e: unknown) => e);
    expect(isFosspushError(error, 'MISSING_DEPENDENCY')).toBe(true);
    expect((error as Error).message).toBe("SQLite storage needs the '@fosspush/store-sqlite' package: npm install @fosspush/store-sqlite");
    expect(error).toMatchObject({ details: { package: '@fosspush/store-sqlite' } });
  });

  it('recognises a real failed import of a package that is not installed', async () => {
    const name = '@fosspush/never-installed';
    const error = await importOptional(name, 'this test', () => import(/* @vite-ignore */ name)).catch((e: unknown) => e);
    expect(isFosspushError(error, 'MISSING_DEPENDENCY')).toBe(true);
  });

  it('passes through a broken install: the package is there, one of its own dependencies is not', async () => {
    const brokenInstall = notFound('better-sqlite3');
    await expect(importOptional('@fosspush/store-sqlite', 'SQLite storage', () => Promise.reject(brokenInstall))).rejects.toBe(brokenInstall);
  });

  it('passes through any other failure of the module', async () => {
    const failure = new TypeError('boom at module evaluation');
    await expect(importOptional('openpgp', 'the email channel', () => Promise.reject(failure))).rejects.toBe(failure);
  });
});
