import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createJsonLogger, isFosspushError } from '@fosspush/core';
import { createPushServer, type PushServer } from '@fosspush/server';
import { type CliConfig, EXIT, parseCommandLine, USAGE, UsageError } from './args.js';
import { runBackup } from './backup.js';
import { listenOperator, type OperatorListener } from './operator-listener.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function openServer(config: CliConfig, io: CliIo): PushServer {
  if (config.storage.kind === 'sqlite') mkdirSync(dirname(config.storage.path), { recursive: true, mode: 0o700 });
  return createPushServer({
    storage: config.storage,
    trustProxy: config.trustProxy,
    logger: createJsonLogger({ level: config.logLevel, write: (line) => io.stderr(`${line}\n`) }),
    publicUrl: config.publicUrl,
    maxConnections: config.maxConnections,
    maxConnectionsPerAddress: config.maxConnectionsPerAddress,
    maxSetsPerAddress: config.maxSetsPerAddress,
    pendingSetTtlMs: config.pendingSetTtlMs,
    idleSetTtlMs: config.idleSetTtlMs,
    bodyTimeoutMs: config.bodyTimeoutMs,
    defaultTtlSeconds: config.defaultTtlSeconds,
    rateLimits: config.rateLimits,
    publicOperatorRoutes: config.adminListen === undefined,
  });
}

function exitCodeFor(error: unknown, phase: 'open' | 'listen'): number {
  const code = (error as { code?: unknown }).code;
  if (isFosspushError(error, 'UNSUPPORTED_STORE_VERSION')) return EXIT.dataFormat;
  if (phase === 'open') return EXIT.cantCreate;
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES' || code === 'UNAVAILABLE') return EXIT.unavailable;
  return EXIT.software;
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

  const { config } = command;
  let opening: PushServer | undefined;
  try {
    opening = openServer(config, io);
    await opening.ready();
  } catch (error) {
    io.stderr(`fosspush-server: cannot open the store: ${error instanceof Error ? error.message : String(error)}\n`);
    await opening?.close().catch(() => undefined);
    return exitCodeFor(error, 'open');
  }
  const server = opening;
  let url: string;
  let operator: OperatorListener | undefined;
  try {
    url = await server.listen(config.port, config.host);
    if (config.adminListen) operator = await listenOperator(server, config.adminListen);
  } catch (error) {
    io.stderr(`fosspush-server: cannot start: ${error instanceof Error ? error.message : String(error)}\n`);
    await server.close().catch(() => undefined);
    return exitCodeFor(error, 'listen');
  }
  io.stdout(`listening on ${url}\n`);
  if (operator) io.stdout(`operator endpoints on ${operator.url}\n`);
  await new Promise<void>((resolve) => stop(resolve));
  // The operator listener stays up through the drain, so a scrape still sees it.
  await server.close();
  await operator?.close();
  return EXIT.ok;
}
