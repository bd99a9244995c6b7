import { createRequire } from 'node:module';

/** Read from package.json, which sits one folder up from both `src/` and `dist/`. */
export const DAEMON_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
