import { FosspushError } from './errors.js';

/**
 * How a failed `import()` says that `packageName` itself is absent, in Node and in bundlers. A
 * package that is there but lacks one of its own dependencies is a broken install, not this.
 */
function isMissingPackage(error: unknown, packageName: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = String(error);
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return message.includes(`'${packageName}'`) || message.includes(`"${packageName}"`);
  return new RegExp(`Cannot find (module|package) ['"]?${packageName.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`).test(message);
}

/**
 * Loads an optional peer dependency on first use: a package that only some uses of a library
 * need (openpgp for the email paths, a storage driver for the storage chosen) is not installed
 * with it. `load` is the literal `() => import('name')`, so bundlers still see and bundle it
 * (and tests can pass another). A missing package is MISSING_DEPENDENCY, whose message names
 * what to install; any other failure passes through.
 *
 * @example
 * const { createSqliteStore } = await importOptional('@fosspush/store-sqlite', 'SQLite storage', () => import('@fosspush/store-sqlite'));
 */
export async function importOptional<T>(packageName: string, neededFor: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (cause) {
    if (!isMissingPackage(cause, packageName)) throw cause;
    throw new FosspushError('MISSING_DEPENDENCY', `${neededFor} needs the '${packageName}' package: npm install ${packageName}`, {
      cause,
      details: { package: packageName },
    });
  }
}
