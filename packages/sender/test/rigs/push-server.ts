import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { spawnSource } from '@fosspush/testing';

/** Our push server (`fosspush-server --listen 127.0.0.1:0 --memory`) as a real child process. */
export interface PushServerProcess {
  /** The base URL it printed, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const CLI = new URL('../../../../apps/push-server/src/cli.ts', import.meta.url);

/** Starts `fosspush-server --listen 127.0.0.1:0` with `args` (default `--memory`). */
export async function startPushServer(options: { args?: string[] } = {}): Promise<PushServerProcess> {
  const child = spawnSource(CLI, ['--listen', '127.0.0.1:0', ...(options.args ?? ['--memory'])]);
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`push server did not start in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(match[1].replace(/\/$/, ''));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`push server exited with ${code}:\n${output}`));
    });
  });
  // Keep draining its log so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
