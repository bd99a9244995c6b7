import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Runs a TypeScript entry point as a real child process, resolving workspace packages to
 * their source, so process-level tests (SIGKILL, restarts) need no build.
 */
export function spawnSource(entry: URL | string, args: string[] = [], options: SpawnOptions = {}): ChildProcess {
  const script = entry instanceof URL ? fileURLToPath(entry) : entry;
  return spawn(process.execPath, ['--import', 'tsx', '--conditions=@fosspush/source', script, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
    ...options,
  });
}

export { repoRoot };
