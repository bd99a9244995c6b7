// A tiny request/response protocol over the IPC channel of a benchmark child process.
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { repoRoot, spawnSource } from '@fosspush/testing';

type Handler = (args: never) => unknown;

/** In a child: answers the parent's calls with the given handlers. */
export function serveParent(handlers: Record<string, Handler>): void {
  process.on('message', async (request: { id: number; cmd: string; args: unknown }) => {
    try {
      const result = await (handlers[request.cmd] as (args: unknown) => unknown)(request.args);
      process.send?.({ id: request.id, result });
    } catch (error) {
      process.send?.({ id: request.id, error: error instanceof Error ? error.stack : String(error) });
    }
  });
  // A parent that dies (a failed bench) must not leave its servers and fleets running.
  process.once('disconnect', () => process.exit(0));
  process.send?.({ id: 0, result: 'ready' });
}

export interface Child {
  readonly process: ChildProcess;
  call<T>(cmd: string, args?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts a benchmark child and waits for it to be ready. With `built`, workspace packages
 * resolve to their build output (dist) instead of their TypeScript source: what users run, and
 * free of the name-keeping helpers tsx wraps around every function, which would otherwise add
 * kilobytes to each idle connection and microseconds to each message. With `cpuProfileDir` the
 * child writes a V8 CPU profile there when it exits (open it in Chrome DevTools or speedscope).
 */
export async function startChild(entry: URL, options: { built?: boolean; cpuProfileDir?: string } = {}): Promise<Child> {
  const spawnOptions = { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] as StdioOptions, env: { ...process.env, NODE_OPTIONS: '--expose-gc' } };
  // Node refuses --cpu-prof in NODE_OPTIONS: it goes on the command line.
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
  const child = options.built
    ? spawn(process.execPath, [...profile, '--import', 'tsx', fileURLToPath(entry)], { cwd: repoRoot, ...spawnOptions })
    : spawnSource(entry, [], spawnOptions);
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${entry.pathname} exited with ${code}`)));
    child.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      if (message.id === 0) return resolve();
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result);
    });
  });
  await ready;
  return {
    process: child,
    call: <T>(cmd: string, callArgs?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, cmd, args: callArgs });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        // A child that ignores SIGTERM (a stuck close) must not outlive the bench.
        const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Used memory of this process after a full collection (the child runs with --expose-gc). */
export function settledMemory(): { rss: number; heapUsed: number; external: number } {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) collect?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  // external already holds arrayBuffers (Buffers and ArrayBuffers).
  return { rss, heapUsed, external };
}

/**
 * Pins a child to one CPU (Linux `taskset`): servers get CPU 0, load generators and devices
 * CPU 1, so on a small machine the server under test does not fight its own clients for a core.
 * Without taskset or a second CPU it does nothing.
 */
export function pin(child: Child, role: 'server' | 'client'): void {
  if (child.process.pid !== undefined) pinProcess(child.process.pid, role);
}

let pinning = true;

/**
 * Pinning on (the per-CPU comparisons) or off: the whole-machine comparison lets the kernel
 * spread every server and client over all CPUs, as a deployment runs.
 */
export function setPinning(enabled: boolean): void {
  pinning = enabled;
}

/** {@link pin} for any process (nginx's master and workers). */
export function pinProcess(pid: number, role: 'server' | 'client'): void {
  if (!pinning || availableParallelism() < 2) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', role === 'server' ? '0' : '1', String(pid)], { stdio: 'ignore' });
  } catch {
    // No taskset: the figures are noisier, not wrong.
  }
}
