import { readFileSync } from 'node:fs';

/** This package's version, read from the package.json beside `dist/` (and `src/`) at run time. */
export function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
