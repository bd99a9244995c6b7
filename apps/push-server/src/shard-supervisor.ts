import { type ChildProcess, fork } from 'node:child_process';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Clock, createJsonLogger, systemClock } from '@fosspush/core';
import { type CliConfig, EXIT } from './args.js';
import type { CliIo } from './serve.js';
import { initialShardPorts, type ShardPorts } from './shard-layout.js';
import { isShardListening, SHARD_ADMIN_PORT_ENV, SHARD_INDEX_ENV, SHARD_PORT_ENV, type ShardListening } from './shard-protocol.js';

/** The first restart of a shard that died waits this long; each quick death after doubles it. */
export const RESTART_FIRST_DELAY_MS = 250;
/** Restarts never wait longer than this. */
export const RESTART_MAX_DELAY_MS = 30_000;
/** A shard that ran this long before dying starts its backoff over. */
export const RESTART_STABLE_AFTER_MS = 60_000;

/** How long to wait before restarting a shard that has died `failures` times in a row (≥ 1). */
export function restartDelayMs(failures: number): number {
  return Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** Math.max(0, failures - 1));
}

/** Consecutive quick deaths, counting this one: a shard that had run a while starts again at 1. */
export function nextFailureCount(previous: number, ranMs: number): number {
  return ranMs >= RESTART_STABLE_AFTER_MS ? 1 : previous + 1;
}

/** The CLI entry a shard runs: `cli.ts` from source (tests), `cli.js` once built. */
const SHARD_ENTRY = fileURLToPath(new URL(`./cli${extname(fileURLToPath(import.meta.url))}`, import.meta.url));

interface Shard {
  readonly index: number;
  ports: ShardPorts;
  child: ChildProcess | undefined;
  startedAt: number;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
}

class ShardStartFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`a shard exited with ${exitCode} before it listened`);
  }
}

/**
 * `--shards N` (N > 1): one process per shard, each a whole push server with its own store,
 * listener and devices, so no message ever crosses between processes. This process only
 * supervises: it prints where each shard listens, restarts a shard that dies (with backoff,
 * on the same ports, so its links keep working), forwards their logs and, on `stop`, drains
 * them all. If a shard cannot start at all, every shard stops and its exit code is returned.
 */
export async function runShards(argv: readonly string[], config: CliConfig, io: CliIo, stop: (handler: () => void) => void, clock: Clock = systemClock): Promise<number> {
  const logger = createJsonLogger({ level: config.logLevel, write: (line) => io.stderr(`${line}\n`) });
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  const shards: Shard[] = Array.from({ length: config.shards }, (_, index) => ({
    index,
    ports: initialShardPorts(config, index),
    child: undefined,
    startedAt: 0,
    failures: 0,
    restartTimer: undefined,
  }));

  const scheduleRestart = (shard: Shard, code: number | null, signal: NodeJS.Signals | null) => {
    shard.failures = nextFailureCount(shard.failures, clock.now() - shard.startedAt);
    const restartInMs = restartDelayMs(shard.failures);
    logger.error('shard_exited', { shard: shard.index, pid: shard.child?.pid, code, signal, restartInMs });
    shard.restartTimer = setTimeout(() => {
      shard.restartTimer = undefined;
      start(shard).then(
        (listening) => logger.info('shard_restarted', { shard: shard.index, pid: shard.child?.pid, url: listening.url }),
        // Its exit already scheduled the next attempt.
        () => undefined,
      );
    }, restartInMs);
  };

  const start = (shard: Shard) =>
    new Promise<ShardListening>((resolve, reject) => {
      const env: NodeJS.ProcessEnv = { ...io.env, [SHARD_INDEX_ENV]: String(shard.index), [SHARD_PORT_ENV]: String(shard.ports.port) };
      if (shard.ports.adminPort !== undefined) env[SHARD_ADMIN_PORT_ENV] = String(shard.ports.adminPort);
      const child = fork(SHARD_ENTRY, [...argv], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      shard.child = child;
      shard.startedAt = clock.now();
      // Whole lines only, so the shards' JSON logs never interleave mid-line.
      if (child.stderr) createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => io.stderr(`${line}\n`));
      let listening = false;
      child.on('message', (message) => {
        if (!isShardListening(message)) return;
        listening = true;
        // A restart reuses the ports the kernel chose the first time (--listen HOST:0).
        shard.ports = { port: message.port, ...(message.adminPort === undefined ? {} : { adminPort: message.adminPort }) };
        resolve(message);
      });
      child.once('exit', (code, signal) => {
        if (!listening) reject(new ShardStartFailed(code ?? EXIT.software));
        if (phase === 'running') scheduleRestart(shard, code, signal);
        shard.child = undefined;
      });
    });

  const stopAll = async () => {
    const exits = shards.map((shard) => {
      clearTimeout(shard.restartTimer);
      const child = shard.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      return exited;
    });
    await Promise.all(exits);
  };

  const started = await Promise.allSettled(shards.map(start));
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) {
    phase = 'stopping';
    await stopAll();
    return failed.reason instanceof ShardStartFailed ? failed.reason.exitCode : EXIT.software;
  }
  phase = 'running';
  for (const result of started as PromiseFulfilledResult<ShardListening>[]) {
    io.stdout(`listening on ${result.value.url}\n`);
    if (result.value.operatorUrl) io.stdout(`operator endpoints on ${result.value.operatorUrl}\n`);
  }
  logger.info('shards_started', { shards: shards.map((shard) => ({ shard: shard.index, pid: shard.child?.pid, port: shard.ports.port })) });
  await new Promise<void>((resolve) => stop(resolve));
  phase = 'stopping';
  await stopAll();
  logger.info('shards_stopped', {});
  return EXIT.ok;
}
