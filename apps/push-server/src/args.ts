import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from '@fosspush/core';
import type { RateLimit, StorageOptions } from '@fosspush/server';

/** sysexits(3) codes, so service managers and scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  /** Bad command line. */
  usage: 64,
  /** The address is taken or Redis is unreachable: retrying later may work. */
  unavailable: 69,
  /** Anything unexpected. */
  software: 70,
  /** The SQLite file (or its folder) cannot be created or opened. */
  cantCreate: 73,
  /** The database was written by a newer fosspush-server: upgrade, or restore a backup. */
  dataFormat: 65,
} as const;

/** Exit codes that a restart cannot fix: the unit's RestartPreventExitStatus lists them all. */
export const CONFIGURATION_EXIT_CODES: readonly number[] = [EXIT.usage, EXIT.dataFormat, EXIT.cantCreate];

export const USAGE = `Usage: fosspush-server [options]
       fosspush-server backup [--db PATH] TARGET

The fosspush push server: RFC 8030 Web Push for app servers, one stream per device.

Options:
  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080; [::1]:8080 for IPv6)
  --db PATH            SQLite database file (default $XDG_DATA_HOME/fosspush/server.db,
                       i.e. ~/.local/share/fosspush/server.db)
  --sqlite-synchronous normal|full  normal survives a crash of the process, full also
                       a power loss, at an fsync per write (default normal)
  --memory             keep everything in memory: nothing survives a restart
  --redis URL          share one Redis between several server nodes (redis://host:6379)
  --redis-prefix P     key prefix in Redis (default fosspush:)
  --public-url URL     the URL clients use, e.g. https://push.example.org behind a TLS proxy;
                       links and the VAPID audience use it (default: the listen address)
  --trust-proxy        believe X-Forwarded-For/-Proto (only behind your own reverse proxy)
  --max-connections N  TCP connections at most, device streams included (default 10000)
  --max-connections-per-address N
                       TCP connections from one address (an IPv6 /64 counts as one) at most
                       (default 256; not applied with --trust-proxy: limit in the proxy)
  --max-sets-per-address N
                       live subscription sets one address may make (default 1000)
  --pending-set-ttl-hours N
                       reclaim a set no device ever connected to after N hours (default 24)
  --idle-set-ttl-days N
                       reclaim a set no device connected to for N days (default 90)
  --body-timeout-ms N  a request body must arrive within N ms, else 408 (default 10000)
  --default-ttl S      TTL of a push sent without one, in seconds, or "strict" for RFC 8030's
                       400 (default 86400; some UnifiedPush app servers send no TTL)
  --rate-limit-ip R[:B]    requests per second per client address, burst B, or "off"
                           (default 200:1000)
  --rate-limit-push R[:B]  pushes per second per push resource, burst B, or "off"
                           (default 10:100)
  --no-fast-push-path  serve pushes through Node's HTTP server too, rather than on the raw
                       socket with the server's own strict HTTP/1.1 parser (the default;
                       see docs/push-server.md, "The raw push path")
  --admin-listen HOST:PORT  serve /healthz and /metrics here (e.g. 127.0.0.1:9464)
                       instead of on --listen
  --shards N           N processes, each owning its own sets, store and devices (default:
                       the number of CPUs). Shard i>0 listens on PORT+i (and admin PORT+i),
                       its SQLite file is <db>.shard-<i>, its links are below /s<i> of
                       --public-url, where a proxy routes them (see docs/push-server.md).
                       1 serves from this process alone. Keep N fixed: lowering it strands
                       the sets of the shards that go
  --log-level LEVEL    debug, info, warn or error (default info)
  --help               show this help
  --version            print the version

On start it prints "listening on <url>" on stdout; logs are JSON lines on stderr.
SIGTERM or SIGINT drains: requests in flight finish, device streams close, then it exits 0.
backup copies the SQLite database (default: the --db default) to TARGET while the server
runs: SQLite's online backup, a private file (mode 0600), checked before it replaces TARGET.

Exit codes: 0 ok, 64 bad usage, 65 database written by a newer version, 69 address in use
or Redis unreachable, 70 internal error, 73 database file cannot be opened.`;

export interface CliConfig {
  host: string;
  port: number;
  storage: StorageOptions;
  publicUrl?: string;
  trustProxy: boolean;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  maxSetsPerAddress?: number;
  pendingSetTtlMs?: number;
  idleSetTtlMs?: number;
  bodyTimeoutMs?: number;
  defaultTtlSeconds?: number | false;
  rateLimits?: { perIp?: RateLimit | false; perSubscription?: RateLimit | false };
  /** `--no-fast-push-path`: pushes go through Node's HTTP server too. */
  fastPushPath?: false;
  logLevel: LogLevel;
  /** How many processes serve, each with its own sets, store and listener (1: this process alone). */
  shards: number;
  /** Where /healthz and /metrics are served instead of the public listener. */
  adminListen?: { host: string; port: number };
}

export type ParsedCommand =
  | { kind: 'run'; config: CliConfig }
  | { kind: 'backup'; source: string; target: string }
  | { kind: 'help' }
  | { kind: 'version' };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `$XDG_DATA_HOME/fosspush/server.db`, the XDG default being `~/.local/share`. */
export function defaultDbPath(env: NodeJS.ProcessEnv): string {
  const dataHome = env['XDG_DATA_HOME'] || join(env['HOME'] || homedir(), '.local', 'share');
  return join(dataHome, 'fosspush', 'server.db');
}

export function parseListen(value: string, flag = '--listen'): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new UsageError(`${flag} wants HOST:PORT (or [IPv6]:PORT), got ${JSON.stringify(value)}`);
  return { host: (match[1] ?? match[2]) as string, port };
}

function parseUrl(value: string, flag: string, protocols: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} is not a URL: ${JSON.stringify(value)}`);
  }
  if (!protocols.includes(url.protocol)) throw new UsageError(`${flag} must be a ${protocols.join(' or ')} URL`);
  return value;
}

function positiveInteger(value: string, flag: string): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < 1) throw new UsageError(`${flag} must be a positive integer`);
  return number;
}

/** Shard i listens on PORT+i: the last shard's port must exist (port 0 lets each pick its own). */
function assertShardPortsFit(port: number, shards: number, flag: string): void {
  if (port !== 0 && port + shards - 1 > 65535) throw new UsageError(`${flag}: ${shards} shards need ports ${port} to ${port + shards - 1}, past 65535`);
}

/** `RATE[:BURST]` (burst defaults to one second's worth, at least 1) or `off`. */
export function parseRateLimit(value: string, flag: string): RateLimit | false {
  if (value === 'off') return false;
  const match = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(value);
  const ratePerSecond = Number(match?.[1]);
  if (!match || !(ratePerSecond > 0)) throw new UsageError(`${flag} wants RATE[:BURST] (per second) or off, got ${JSON.stringify(value)}`);
  const burst = match[2] === undefined ? Math.max(1, Math.ceil(ratePerSecond)) : Number(match[2]);
  if (burst < 1) throw new UsageError(`${flag}: the burst must be at least 1`);
  return { ratePerSecond, burst };
}

function parseSynchronous(value: string | boolean | undefined): { synchronous?: 'normal' | 'full' } {
  if (value === undefined) return {};
  if (value !== 'normal' && value !== 'full') throw new UsageError('--sqlite-synchronous must be normal or full');
  return { synchronous: value };
}

/** `backup [--db PATH] TARGET`: the database to copy and where the copy goes. */
function parseBackupCommand(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  let parsed: { values: { db?: string | undefined; help?: boolean | undefined }; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return { kind: 'help' };
  const [target, ...extra] = parsed.positionals;
  if (target === undefined || extra.length > 0) throw new UsageError('backup wants exactly one TARGET file');
  return { kind: 'backup', source: parsed.values.db ?? defaultDbPath(env), target };
}

export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommand {
  if (argv[0] === 'backup') return parseBackupCommand(argv.slice(1), env);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string' },
        db: { type: 'string' },
        memory: { type: 'boolean' },
        redis: { type: 'string' },
        'redis-prefix': { type: 'string' },
        'public-url': { type: 'string' },
        'trust-proxy': { type: 'boolean' },
        'max-connections': { type: 'string' },
        'max-connections-per-address': { type: 'string' },
        'max-sets-per-address': { type: 'string' },
        'pending-set-ttl-hours': { type: 'string' },
        'idle-set-ttl-days': { type: 'string' },
        'body-timeout-ms': { type: 'string' },
        'default-ttl': { type: 'string' },
        'rate-limit-ip': { type: 'string' },
        'rate-limit-push': { type: 'string' },
        'no-fast-push-path': { type: 'boolean' },
        'log-level': { type: 'string' },
        'admin-listen': { type: 'string' },
        'sqlite-synchronous': { type: 'string' },
        shards: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values['help']) return { kind: 'help' };
  if (values['version']) return { kind: 'version' };

  const stores = ['db', 'memory', 'redis'].filter((flag) => values[flag] !== undefined);
  if (stores.length > 1) throw new UsageError(`choose one of --db, --memory and --redis, not ${stores.map((f) => `--${f}`).join(' and ')}`);
  let storage: StorageOptions;
  if (values['memory']) storage = { kind: 'memory' };
  else if (typeof values['redis'] === 'string') {
    const url = parseUrl(values['redis'], '--redis', ['redis:', 'rediss:']);
    const keyPrefix = values['redis-prefix'];
    storage = { kind: 'redis', url, ...(typeof keyPrefix === 'string' ? { keyPrefix } : {}) };
  } else storage = { kind: 'sqlite', path: typeof values['db'] === 'string' ? values['db'] : defaultDbPath(env), ...parseSynchronous(values['sqlite-synchronous']) };
  if (storage.kind !== 'sqlite' && values['sqlite-synchronous'] !== undefined) throw new UsageError('--sqlite-synchronous applies to the SQLite store only');

  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const config: CliConfig = {
    ...parseListen(typeof values['listen'] === 'string' ? values['listen'] : '127.0.0.1:8080'),
    storage,
    trustProxy: values['trust-proxy'] === true,
    logLevel,
    shards: typeof values['shards'] === 'string' ? positiveInteger(values['shards'], '--shards') : availableParallelism(),
  };
  assertShardPortsFit(config.port, config.shards, '--listen');
  if (typeof values['admin-listen'] === 'string') {
    config.adminListen = parseListen(values['admin-listen'], '--admin-listen');
    assertShardPortsFit(config.adminListen.port, config.shards, '--admin-listen');
  }
  if (typeof values['public-url'] === 'string') config.publicUrl = parseUrl(values['public-url'], '--public-url', ['https:', 'http:']);
  if (typeof values['max-connections'] === 'string') config.maxConnections = positiveInteger(values['max-connections'], '--max-connections');
  if (typeof values['max-connections-per-address'] === 'string') {
    config.maxConnectionsPerAddress = positiveInteger(values['max-connections-per-address'], '--max-connections-per-address');
  }
  if (typeof values['max-sets-per-address'] === 'string') config.maxSetsPerAddress = positiveInteger(values['max-sets-per-address'], '--max-sets-per-address');
  if (typeof values['pending-set-ttl-hours'] === 'string') {
    config.pendingSetTtlMs = positiveInteger(values['pending-set-ttl-hours'], '--pending-set-ttl-hours') * 3_600_000;
  }
  if (typeof values['idle-set-ttl-days'] === 'string') config.idleSetTtlMs = positiveInteger(values['idle-set-ttl-days'], '--idle-set-ttl-days') * 86_400_000;
  if (typeof values['body-timeout-ms'] === 'string') config.bodyTimeoutMs = positiveInteger(values['body-timeout-ms'], '--body-timeout-ms');
  const defaultTtl = values['default-ttl'];
  if (typeof defaultTtl === 'string') config.defaultTtlSeconds = defaultTtl === 'strict' ? false : positiveInteger(defaultTtl, '--default-ttl');
  const rateLimits: NonNullable<CliConfig['rateLimits']> = {};
  if (typeof values['rate-limit-ip'] === 'string') rateLimits.perIp = parseRateLimit(values['rate-limit-ip'], '--rate-limit-ip');
  if (typeof values['rate-limit-push'] === 'string') rateLimits.perSubscription = parseRateLimit(values['rate-limit-push'], '--rate-limit-push');
  if (Object.keys(rateLimits).length > 0) config.rateLimits = rateLimits;
  if (values['no-fast-push-path'] === true) config.fastPushPath = false;
  return { kind: 'run', config };
}
