import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A long-lived child the soak restarts on purpose, always on the same port. */
export interface Restartable {
  readonly name: string;
  readonly pid: number;
  /** How many times it was restarted. */
  readonly life: number;
  start(): Promise<void>;
  /** SIGTERM waits for a clean exit; SIGKILL is a crash. */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  restart(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  /** Resolves once the child's stdout shows it is ready. */
  readyWhen: RegExp;
  /** stdout and stderr are appended here. */
  logFile: string;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function restartable(spec: ChildSpec): Restartable {
  let child: ChildProcess | undefined;
  let life = -1;
  const log = createWriteStream(spec.logFile, { flags: 'a' });
  const handle: Restartable = {
    name: spec.name,
    get pid() {
      return child?.pid ?? -1;
    },
    get life() {
      return life;
    },
    async start() {
      life++;
      const started = spawn(spec.command, spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      started.stderr?.pipe(log, { end: false });
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const timer = setTimeout(() => reject(new Error(`${spec.name} not ready after 60 s:\n${output.slice(-2000)}`)), 60_000);
        started.once('error', reject);
        started.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${spec.name} exited with ${code} while starting:\n${output.slice(-2000)}`));
        });
        started.stdout?.on('data', (chunk: Buffer) => {
          log.write(chunk);
          output += chunk.toString();
          if (spec.readyWhen.test(output)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
    },
    async stop(signal) {
      if (!child) return;
      const done = exited(child);
      child.kill(signal);
      await done;
      child = undefined;
    },
    async restart(signal) {
      await handle.stop(signal);
      await handle.start();
    },
  };
  return handle;
}

/** redis-server with an fsync per write, so a 201 survives its restart. */
export function redisProcess(dir: string, port: number): Restartable {
  return restartable({
    name: 'redis',
    command: 'redis-server',
    args: ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--daemonize', 'no'],
    readyWhen: /Ready to accept connections/,
    logFile: join(dir, 'redis.log'),
  });
}

/** One `fosspush-server` node from the built CLI (`pnpm build` first). */
export function serverNode(name: string, cli: string, port: number, redisUrl: string, dir: string, extraArgs: string[]): Restartable {
  return restartable({
    name,
    command: process.execPath,
    args: [cli, '--listen', `127.0.0.1:${port}`, '--redis', redisUrl, '--log-level', 'warn', ...extraArgs],
    readyWhen: /listening on http/,
    logFile: join(dir, `${name}.log`),
  });
}

/** Resident set size of a live process, from /proc (Linux). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kib * 1024;
}

/** V8 heap in use, read from the node's Prometheus metrics. */
export async function heapUsedBytes(metricsUrl: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) })).text();
    const match = /^fosspush_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)$/m.exec(text);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
