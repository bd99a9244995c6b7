import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connectIpc, type StatusResult } from '@fosspush/ipc';
import { spawnSource } from '@fosspush/testing';
import { buildPushRequest } from '@fosspush/webpush/app-server';

const PUSH_SERVER = new URL('../../push-server/src/cli.ts', import.meta.url);
export const DAEMON = new URL('../src/cli.ts', import.meta.url);
const BUILT_DAEMON = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** A real child process, stopped politely (SIGTERM) or killed (SIGKILL) by its PID. */
export interface Running {
  readonly child: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs a TypeScript entry from source, or a built JavaScript file with plain node (no tsx in memory). */
export function run(entry: URL | string, args: string[]): Running {
  const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
  const child = typeof entry === 'string' ? spawn(process.execPath, [entry, ...args], { stdio }) : spawnSource(entry, args, { stdio });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill(signal);
      await exited;
    },
  };
}

async function waitFor<T>(what: string, running: Running, attempt: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (running.child.exitCode !== null) throw new Error(`${what}: the process exited with ${running.child.exitCode}\n${running.output()}`);
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms\n${running.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits for a process to end by itself; its exit code. */
export async function exitCodeOf(running: Running, timeoutMs = 30_000): Promise<number | null> {
  const { child } = running;
  if (child.exitCode === null && child.signalCode === null) {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await once(child, 'exit');
    clearTimeout(timer);
  }
  return child.exitCode;
}

export interface PushServerProcess extends Running {
  readonly url: string;
}

/**
 * `fosspush-server` on loopback with a SQLite file, so a restart on the same port keeps its queue.
 * One process (`--shards 1`): with its default of one shard per core, a SIGKILL reached only the
 * supervisor, and the orphaned shard 0 could still hold the port when the test restarted the
 * server on it (EADDRINUSE on a loaded machine).
 */
export async function startPushServer(options: { db: string; port?: number; host?: '127.0.0.1' | '[::1]' }): Promise<PushServerProcess> {
  const listen = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`;
  const running = run(PUSH_SERVER, ['--listen', listen, '--shards', '1', '--db', options.db, '--log-level', 'warn']);
  const url = await waitFor('push server listening', running, async () => /listening on (http:\/\/\S+)/.exec(running.output())?.[1]?.replace(/\/$/, ''));
  return { ...running, url };
}

export function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** How many device streams the push server holds right now (its Prometheus gauge). */
export async function deviceConnections(serverUrl: string): Promise<number> {
  const text = await (await fetch(`${serverUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('fosspush_device_connections'));
  return Number(line?.split(/\s+/).at(-1) ?? Number.NaN);
}

export interface DaemonProcess extends Running {
  readonly socketPath: string;
}

/**
 * `fosspushd [--config FILE] [--server URL] --data DIR --socket PATH`, ready once its socket answers. `built`
 * runs `dist/cli.js` when it exists, as users run it (benchmarks measure its memory).
 */
export async function startDaemon(options: { serverUrl?: string; config?: string; dataDir: string; socketPath: string; built?: boolean }): Promise<DaemonProcess> {
  const entry = options.built && existsSync(BUILT_DAEMON) ? BUILT_DAEMON : DAEMON;
  const accounts = [...(options.config === undefined ? [] : ['--config', options.config]), ...(options.serverUrl === undefined ? [] : ['--server', options.serverUrl])];
  const running = run(entry, [...accounts, '--data', options.dataDir, '--socket', options.socketPath, '--log-level', 'warn']);
  await waitFor('fosspushd answering on its socket', running, async () => {
    const ipc = await connectIpc({ socketPath: options.socketPath, requestTimeoutMs: 1000 });
    ipc.close();
    return true;
  });
  return { ...running, socketPath: options.socketPath };
}

/** Polls the daemon's status until `check` passes. */
export async function untilStatus(socketPath: string, check: (status: StatusResult) => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ipc = await connectIpc({ socketPath }).catch(() => undefined);
    const status = await ipc?.call('status', {}).catch(() => undefined);
    ipc?.close();
    if (status && check(status)) return;
    if (Date.now() > deadline) throw new Error(`daemon status never matched: ${JSON.stringify(status)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** What an app server does: encrypt `{data}` to the token (RFC 8291) and POST it (RFC 8030). */
export async function push(token: string, data: Record<string, string>, ttlSeconds = 3600): Promise<void> {
  const request = await buildPushRequest(token, JSON.stringify({ data }), { ttlSeconds });
  const response = await fetch(request.url, request);
  if (response.status !== 201) throw new Error(`push answered ${response.status}: ${await response.text()}`);
}
