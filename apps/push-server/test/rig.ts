import type { ChildProcess } from 'node:child_process';
import { spawnSource } from '@fosspush/testing';

const CLI = new URL('../src/cli.ts', import.meta.url);

/** `fosspush-server` as a real child process, as an operator runs it. */
export interface CliProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote to stderr (its JSON logs) so far. */
  logs(): string;
  /** Sends the signal and resolves with the exit code (or the signal's name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export function exitOf(child: ChildProcess): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
}

export function spawnCli(args: string[]): { child: ChildProcess; output: { stdout: string; stderr: string } } {
  const child = spawnSource(CLI, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout?.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  return { child, output };
}

export async function startCli(args: string[]): Promise<CliProcess> {
  const { child, output } = spawnCli(args);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fosspush-server did not start:\n${output.stderr}`)), 30_000);
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output.stdout);
      if (!match?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fosspush-server exited with ${code}:\n${output.stderr}`));
    });
  });
  return {
    url,
    child,
    logs: () => output.stderr,
    async stop(signal = 'SIGTERM') {
      const exited = exitOf(child);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
