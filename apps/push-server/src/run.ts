import { readFileSync } from 'node:fs';
import { EXIT, parseCommandLine, USAGE, UsageError } from './args.js';
import { runBackup } from './backup.js';
import type { CliIo } from './serve.js';
import { serve } from './serve.js';
import { isShardChild, runShardChild } from './shard-child.js';
import { runShards } from './shard-supervisor.js';

export type { CliIo } from './serve.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs the CLI until the server is asked to stop; resolves with the process exit code.
 * Signals are wired by the caller (`cli.ts`) through `stop`.
 */
export async function runCli(argv: readonly string[], io: CliIo, stop: (handler: () => void) => void): Promise<number> {
  let command: ReturnType<typeof parseCommandLine>;
  try {
    command = parseCommandLine(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`fosspush-server: ${error.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  if (command.kind === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command.kind === 'version') {
    io.stdout(`fosspush-server ${version()}\n`);
    return EXIT.ok;
  }
  if (command.kind === 'backup') return runBackup(command.source, command.target, io);

  if (isShardChild(io.env)) return runShardChild(command.config, io, stop);
  if (command.config.shards > 1) return runShards(argv, command.config, io, stop);
  return serve(command.config, io, stop, ({ url, operatorUrl }) => {
    io.stdout(`listening on ${url}\n`);
    if (operatorUrl) io.stdout(`operator endpoints on ${operatorUrl}\n`);
  });
}
