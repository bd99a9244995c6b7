import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createJsonLogger, isFosspushError } from '@fosspush/core';
import { createPushServer, type PushServer } from '@fosspush/server';
import { type CliConfig, EXIT } from './args.js';
import { listenOperator, type OperatorListener } from './operator-listener.js';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
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
    fastPushPath: config.fastPushPath,
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

/** Where a server listens once it is up. */
export interface ListeningAddresses {
  url: string;
  operatorUrl?: string;
}

/**
 * One server in this process: opens the store, listens, calls `onListening`, serves until
 * `stop` fires, drains. Resolves with the exit code.
 */
export async function serve(
  config: CliConfig,
  io: CliIo,
  stop: (handler: () => void) => void,
  onListening: (addresses: ListeningAddresses) => void,
): Promise<number> {
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
  onListening({ url, ...(operator ? { operatorUrl: operator.url } : {}) });
  await new Promise<void>((resolve) => stop(resolve));
  // The operator listener stays up through the drain, so a scrape still sees it.
  await server.close();
  await operator?.close();
  return EXIT.ok;
}
