import type { ChildProcess } from 'node:child_process';
import type { LogFields } from '@fosspush/core';
import { createChannelForAccount, createDaemon, type DaemonOptions } from '@fosspush/daemon';
import { spawnSource } from '@fosspush/testing';

/**
 * A bench daemon in a process of its own (email-daemon.ts, latency-daemon.ts, or the bare relay
 * latency-relay.ts), asked for its hop clocks.
 */
export interface DaemonChild<Hops, Ready = unknown> {
  /** What the child sent with its ready message. */
  ready: Ready;
  hops(args: Record<string, unknown>): Promise<Hops>;
  stop(): Promise<void>;
}

/**
 * Runs `entry` with its settings as JSON in argv[2]; ready once it sends `{ id: 0 }`. Requests
 * go over the process IPC channel as `{ id, cmd: 'hops', args }`, answered `{ id, result }`.
 */
export async function startDaemonChild<Hops, Ready = unknown>(entry: URL, settings: object): Promise<DaemonChild<Hops, Ready>> {
  const child: ChildProcess = spawnSource(entry, [JSON.stringify(settings)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, (value: unknown) => void>();
  let nextId = 1;
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the bench daemon exited with ${code}`)));
    child.on('message', (message: { id: number; result: unknown }) => {
      if (message.id === 0) resolve(message.result as Ready);
      waiting.get(message.id)?.(message.result);
      waiting.delete(message.id);
    });
  });
  return {
    ready,
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

/** What a bench daemon clocks, and how it answers the parent's `hops` requests. */
export interface BenchDaemonHooks<Args> {
  /** The channel's `message` event, seen before the daemon's own listener. */
  channelMessage(messageId: string): void;
  /** `message_stored`: the message committed and its IPC frame written. */
  stored(messageId: string): void;
  hops(args: Args): unknown;
}

/**
 * The child side: createDaemon with the hooks (from its log and a channel listener; nothing in
 * what the daemon does changes), started, answering `hops`, stopped by SIGTERM. Warnings and
 * errors go to stderr, so a bench that stalls says why.
 */
export async function runBenchDaemon<Args>(options: Omit<DaemonOptions, 'logger' | 'createChannel' | 'unifiedPush'>, hooks: BenchDaemonHooks<Args>): Promise<void> {
  const log = (event: string, fields?: LogFields) => {
    if (event === 'message_stored' && typeof fields?.['messageId'] === 'string') hooks.stored(fields['messageId']);
  };
  const report = (event: string, fields?: LogFields) => console.error(event, JSON.stringify(fields));
  const daemon = createDaemon({
    ...options,
    unifiedPush: { enabled: false },
    logger: { debug: log, info: log, warn: report, error: report },
    async createChannel(account, context) {
      const channel = await createChannelForAccount(account, context);
      channel.on('message', (event) => hooks.channelMessage(event.message.id));
      return channel;
    },
  });
  await daemon.start();
  process.on('message', (request: { id: number; cmd: string; args: Args }) => {
    if (request.cmd === 'hops') process.send?.({ id: request.id, result: hooks.hops(request.args) });
  });
  process.on('SIGTERM', () => {
    void daemon.stop().then(() => process.exit(0));
  });
  process.send?.({ id: 0, result: 'ready' });
}
