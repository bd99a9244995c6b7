import type { ChildProcess } from 'node:child_process';
import { spawnSource } from '@fosspush/testing';

/** A bench daemon in a process of its own (email-daemon.ts, latency-daemon.ts), asked for its hop clocks. */
export interface DaemonChild<Hops> {
  hops(args: Record<string, unknown>): Promise<Hops>;
  stop(): Promise<void>;
}

/**
 * Runs `entry` with its settings as JSON in argv[2]; ready once it sends `{ id: 0 }`. Requests
 * go over the process IPC channel as `{ id, cmd: 'hops', args }`, answered `{ id, result }`.
 */
export async function startDaemonChild<Hops>(entry: URL, settings: object): Promise<DaemonChild<Hops>> {
  const child: ChildProcess = spawnSource(entry, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench daemon exited with ${code}`)));
    child.on('message', (message: { id: number; result: unknown }) => {
      if (message.id === 0) resolve();
      waiting.get(message.id)?.(message.result);
      waiting.delete(message.id);
    });
  });
  return {
    hops: (args) =>
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve as (value: unknown) => void);
        child.send({ id, cmd: 'hops', args });
      }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
