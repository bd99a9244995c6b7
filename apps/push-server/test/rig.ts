import type { ChildProcess } from 'node:child_process';
import { spawnSource } from '@fosspush/testing';

const CLI = new URL('../src/cli.ts', import.meta.url);

/** `fosspush-server` as a real child process, as an operator runs it. */
export interface CliProcess {
  /** Where it listens: shard 0's URL. */
  readonly url: string;
  /** Every shard's URL, shard 0 first. */
  readonly urls: readonly string[];
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

/**
 * One shard unless the test asks for more (`--shards N`): these tests were written for one
 * process, and a second shard would take PORT+1 of a port the test chose.
 */
function oneShardUnlessAsked(args: string[]): string[] {
  return args[0] === 'backup' || args.includes('--shards') ? args : [...args, '--shards', '1'];
}

export function spawnCli(args: string[]): { child: ChildProcess; output: { stdout: string; stderr: string } } {
  const child = spawnSource(CLI, oneShardUnlessAsked(args), { stdio: ['ignore', 'pipe', 'pipe'] });
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
  const shardsAt = args.indexOf('--shards');
  const shards = shardsAt < 0 ? 1 : Number(args[shardsAt + 1]);
  const urls = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fosspush-server did not start:\n${output.stderr}`)), 30_000);
    const onData = () => {
      const found = [...output.stdout.matchAll(/listening on (http:\/\/\S+)/g)].map((match) => match[1] as string);
      if (found.length < shards) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      resolve(found);
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fosspush-server exited with ${code}:\n${output.stderr}`));
    });
  });
  return {
    url: urls[0] as string,
    urls,
    child,
    logs: () => output.stderr,
    async stop(signal = 'SIGTERM') {
      const exited = exitOf(child);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
