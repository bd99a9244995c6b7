import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisRig {
  /** `redis://127.0.0.1:PORT`, for ioredis and `--redis`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server by its PID and removes its scratch folder. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartRedisOptions {
  /** @default 'redis-server' (Debian package redis-server) */
  binary?: string;
  /** @default 10000 */
  startTimeoutMs?: number;
}

/** A TCP port on 127.0.0.1 that was free a moment ago (another process may still take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', (error) => fail(new Error(`cannot start redis-server (apt-get install redis-server): ${error.message}`)));
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}:\n${output}`));
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.stdout?.off('data', onData);
      resolve();
    };
    child.once('exit', onExit);
    child.stdout?.on('data', onData);
  });
}

/**
 * Starts a private redis-server on a free loopback port, with its state in a scratch folder
 * and no persistence, for tests that need the real thing.
 *
 * @example
 * await using redis = await startRedis();
 * const store = createRedisStore({ url: redis.url });
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisRig> {
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-redis-'));
  const port = await freePort();
  const child = spawn(
    options.binary ?? 'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await waitForReady(child, options.startTimeoutMs ?? 10_000);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  child.stdout?.resume();
  const pid = child.pid as number;
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= new Promise<void>((resolve) => {
      const done = () => {
        rmSync(dir, { recursive: true, force: true });
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      process.kill(pid, 'SIGTERM');
    }));
  return { url: `redis://127.0.0.1:${port}`, port, pid, stop, [Symbol.asyncDispose]: stop };
}
