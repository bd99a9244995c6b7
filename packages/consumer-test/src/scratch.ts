import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Manifest } from './workspace.js';

const execFileAsync = promisify(execFile);

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** A command still running after this long is killed and fails the step. @default 300000 */
  timeoutMs?: number;
}

/** Runs a command to its end; rejects with its output when it fails, so a test failure says why. */
export async function run(command: string, args: string[], options: RunOptions): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileAsync(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
      timeout: options.timeoutMs ?? 300_000,
      killSignal: 'SIGKILL',
    });
  } catch (error) {
    const failed = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${options.cwd}: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}

export interface Tarball {
  file: string;
  manifest: Manifest;
}

/** The package.json inside each tarball of a folder, by package name. */
export async function readTarballs(folder: string): Promise<Map<string, Tarball>> {
  const tarballs = new Map<string, Tarball>();
  for (const name of readdirSync(folder).filter((entry) => entry.endsWith('.tgz'))) {
    const file = join(folder, name);
    const { stdout } = await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: folder });
    const manifest = JSON.parse(stdout) as Manifest;
    tarballs.set(manifest.name, { file, manifest });
  }
  return tarballs;
}

/**
 * The tarballs to hand npm for the given packages before they are on a registry: each one and
 * every fosspush package it depends on (npm then takes those for the `^x.y.z` ranges).
 */
export function tarballClosure(names: readonly string[], tarballs: ReadonlyMap<string, Tarball>): string[] {
  const files = new Map<string, string>();
  const visit = (name: string) => {
    const tarball = tarballs.get(name);
    if (tarball === undefined) throw new Error(`no tarball for ${name}`);
    if (files.has(name)) return;
    files.set(name, tarball.file);
    for (const dependency of Object.keys(tarball.manifest.dependencies ?? {})) if (dependency.startsWith('@fosspush/')) visit(dependency);
  };
  for (const name of names) visit(name);
  return [...files.values()];
}

/** Every package folder under a node_modules tree (scoped ones as `@scope/name`), nested ones included. */
export function installedPackages(nodeModules: string): Set<string> {
  const found = new Set<string>();
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(dir, entry))) {
          found.add(`${entry}/${scoped}`);
          walk(join(dir, entry, scoped, 'node_modules'));
        }
      } else {
        found.add(entry);
        walk(join(dir, entry, 'node_modules'));
      }
    }
  };
  walk(nodeModules);
  return found;
}

/** Bytes on disk under a folder, as `du -s` counts them (allocated blocks). */
export async function diskUsageBytes(folder: string): Promise<number> {
  const { stdout } = await run('du', ['-sk', folder], { cwd: folder });
  return Number(stdout.split('\t')[0]) * 1024;
}

export function fileSize(file: string): number {
  return statSync(file).size;
}

/** A long-running child whose stdout is JSON lines (or plain lines), with a way to wait for one. */
export class Service {
  readonly lines: string[] = [];
  private readonly waiters = new Set<() => void>();
  private stderr = '';
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(command: string, args: string[], options: RunOptions) {
    this.process = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    createInterface({ input: this.process.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      this.lines.push(line);
      for (const wake of this.waiters) wake();
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-20_000);
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
    this.exited.then(() => {
      for (const wake of this.waiters) wake();
    });
  }

  /** The first stdout line (from the start) that `match` accepts; rejects if the process ends first or after `timeoutMs`. */
  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs = 60_000): Promise<T> {
    return new Promise((resolve, reject) => {
      let checked = 0;
      const timer = setTimeout(() => finish(new Error(`no matching line within ${timeoutMs} ms; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`)), timeoutMs);
      const finish = (error?: Error, value?: T) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(value as T);
      };
      const check = () => {
        for (; checked < this.lines.length; checked++) {
          const value = match(this.lines[checked] as string);
          if (value !== undefined) return finish(undefined, value);
        }
        if (this.process.exitCode !== null || this.process.signalCode !== null) {
          finish(new Error(`exited (${this.process.exitCode ?? this.process.signalCode}) first; stdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`));
        }
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The `nth` JSON line (from 1) whose `event` is the given one and that `match` accepts. */
  waitForEvent(event: string, options: { nth?: number; match?: (fields: Record<string, unknown>) => boolean; timeoutMs?: number } = {}): Promise<Record<string, unknown>> {
    let seen = 0;
    return this.waitForLine((line) => {
      if (!line.startsWith('{')) return undefined;
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['event'] !== event || !(options.match?.(parsed) ?? true)) return undefined;
      seen++;
      return seen === (options.nth ?? 1) ? parsed : undefined;
    }, options.timeoutMs);
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`: a stuck process fails loudly, not by hanging. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** True when the process ended on its own after a stop, rather than being killed. */
  get exitedCleanly(): boolean {
    return this.process.signalCode !== 'SIGKILL';
  }
}
