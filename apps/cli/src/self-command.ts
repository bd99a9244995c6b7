import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * How a person in another shell runs this same CLI: `fosspush` when that name on PATH leads to
 * this script (an `npm install -g`), else `node <this script's absolute path>` (a checkout, an
 * npx cache). Printed commands then work wherever the CLI was installed, not only in the monorepo.
 */
export function selfCommand(script: string = fileURLToPath(import.meta.url), path: string = process.env['PATH'] ?? ''): string {
  const self = realpathSync(script);
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'fosspush');
    if (existsSync(candidate) && realpathSync(candidate) === self) return 'fosspush';
  }
  return self.includes(' ') ? `node "${self}"` : `node ${self}`;
}
