#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { FosspushError, isFosspushError } from '@fosspush/core';
import { connectIpc, defaultSocketPath } from '@fosspush/ipc';
import { type ConfigFlags, parseConfigFile, resolveConfig } from './config.js';
import { createDaemon, DAEMON_VERSION } from '@fosspush/daemon';
import { createJsonLogger } from '@fosspush/core';
import { formatStatus } from './status-format.js';

const HELP = `fosspushd ${DAEMON_VERSION}: the fosspush device daemon

One connection per push account for every app on this machine; apps talk to it through
@fosspush/client over a private Unix socket.

Usage:
  fosspushd [options]            run the daemon in the foreground (logs: JSON lines on stderr)
  fosspushd status [options]     show accounts, connection state and registrations

Options:
  --server URL        a push server to connect to (the simple case: one account, "default")
  --transport T       auto (WebSocket, SSE fallback), websocket or sse   [default: auto]
  --data DIR          where the database lives        [default: $XDG_DATA_HOME/fosspush]
  --socket PATH       the IPC socket                  [default: $FOSSPUSH_SOCKET or
                                                       $XDG_RUNTIME_DIR/fosspush/daemon.sock]
  --config FILE       a JSON config file with several accounts (push servers, email);
                      flags override its settings
  --log-level LEVEL   debug, info, warn or error      [default: info]
  --require-vapid     refuse new push-server registrations that name no app server
                      VAPID key (their tokens would be bearer capabilities)
  --json              (status) print the raw JSON
  -h, --help          this text
  -v, --version       the version

Exit codes: 0 stopped cleanly, 1 failure, 2 bad usage or config, 3 an unsafe socket or data
folder (owned by another user, or open to others): the message says which and how to fix it.

Config file example:
  {
    "dataDir": "~/.local/share/fosspush",
    "defaultAccount": "home",
    "accounts": [
      { "id": "home", "type": "push-server", "url": "https://push.example.org" },
      { "id": "mail", "type": "email", "options": { ...createImapChannel options... } }
    ]
  }

Examples:
  fosspushd --server http://127.0.0.1:8080 --data ~/.local/share/fosspush
  fosspushd --config ~/.config/fosspush/fosspushd.json
  fosspushd status
`;

async function status(socketPath: string, json: boolean): Promise<void> {
  const ipc = await connectIpc({ socketPath });
  try {
    const result = await ipc.call('status', {});
    process.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : formatStatus(result));
  } finally {
    ipc.close();
  }
}

async function run(flags: ConfigFlags): Promise<void> {
  const file = flags.config === undefined ? {} : parseConfigFile(await readFile(flags.config, 'utf8'), flags.config);
  const config = resolveConfig(file, flags);
  const logger = createJsonLogger({ level: config.logLevel, write: (line) => process.stderr.write(`${line}\n`) });
  const daemon = createDaemon({
    dataDir: config.dataDir,
    socketPath: config.socketPath,
    accounts: config.accounts,
    defaultAccount: config.defaultAccount,
    logger,
    minRetentionSeconds: config.minRetentionSeconds,
    maxQueuedPerApp: config.maxQueuedPerApp,
    unifiedPush: config.unifiedpush,
    requireVapid: config.requireVapid,
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    daemon.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('stop_failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await daemon.start();
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      server: { type: 'string' },
      transport: { type: 'string' },
      data: { type: 'string' },
      socket: { type: 'string' },
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'require-vapid': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  if (values.help) return void process.stdout.write(HELP);
  if (values.version) return void process.stdout.write(`${DAEMON_VERSION}\n`);
  const command = positionals[0] ?? 'run';
  if (command === 'status') {
    const configured = values.config === undefined ? undefined : parseConfigFile(await readFile(values.config, 'utf8'), values.config).socketPath;
    return status(values.socket ?? configured ?? defaultSocketPath(), values.json === true);
  }
  if (command !== 'run') throw new FosspushError('INVALID_REQUEST', `unknown command ${JSON.stringify(command)}`);
  const flags: ConfigFlags = {};
  if (values.config !== undefined) flags.config = values.config;
  if (values.server !== undefined) flags.server = values.server;
  if (values.transport !== undefined) flags.transport = values.transport;
  if (values.data !== undefined) flags.data = values.data;
  if (values.socket !== undefined) flags.socket = values.socket;
  if (values['log-level'] !== undefined) flags.logLevel = values['log-level'];
  if (values['require-vapid'] !== undefined) flags.requireVapid = values['require-vapid'];
  await run(flags);
}

/** Exit codes a service manager or script can tell apart. */
const EXIT_CODES = { failure: 1, usage: 2, insecurePath: 3 } as const;

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage = isFosspushError(error, 'INVALID_REQUEST') || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  const code = isFosspushError(error) ? ` [${error.code}]` : '';
  process.stderr.write(`fosspushd: ${(error as Error).message}${code}\n${usage ? 'Run fosspushd --help for usage.\n' : ''}`);
  process.exit(usage ? EXIT_CODES.usage : isFosspushError(error, 'INSECURE_PATH') ? EXIT_CODES.insecurePath : EXIT_CODES.failure);
});
