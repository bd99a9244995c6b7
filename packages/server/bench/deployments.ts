// The systems under test: our push server (memory, SQLite, or Redis-backed nodes), nchan (nginx's
// pub/sub module) and the bare `ws` relay, each with its devices' stream URLs and push paths.
import { findLink, PUSH_LINK_RELATIONS } from '@fosspush/webpush/service';
import { type Child, pin, pinProcess, startChild } from './ipc.js';
import { startNchan } from './nchan.js';

export interface Device {
  /** The WebSocket URL the device streams from. */
  wsUrl: string;
  /** Its push resources: `base` is the node an app server posts to. */
  pushes: { base: string; path: string }[];
}

/**
 * What a device reads: our wire (a ready frame, then JSON messages it acks), the bare relay's
 * JSON messages (no acks), or nchan's raw message bodies, one per WebSocket frame.
 */
export type DeviceWire = 'fosspush' | 'json' | 'raw';

export interface Deployment {
  label: string;
  /** Every server process: CPU time, memory and system calls are summed over them. */
  pids: number[];
  devices: Device[];
  wire: DeviceWire;
  /**
   * Before a memory reading: a full garbage collection in Node servers, answering what their JS
   * heap and buffers then hold (summed); nothing for nchan.
   */
  settle(): Promise<number | undefined>;
  stop(): Promise<void>;
}

const pidsOf = (children: Child[]) => children.map((child) => child.process.pid as number);
const collectGarbage = async (children: Child[]): Promise<number> => {
  const used = await Promise.all(children.map((child) => child.call<{ heapUsed: number; external: number }>('memory')));
  return used.reduce((sum, memory) => sum + memory.heapUsed + memory.external, 0);
};

const OUR_SERVER = new URL('./our-server.ts', import.meta.url);
const BARE_SERVER = new URL('./bare-ws-server.ts', import.meta.url);
/** FOSSPUSH_BENCH_CPU_PROF=<dir>: our server processes write V8 CPU profiles there. */
const CPU_PROFILE_DIR = process.env['FOSSPUSH_BENCH_CPU_PROF'];

async function inParallel<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) results[i] = await work(i);
    }),
  );
  return results;
}

async function subscribe(base: string, setUrl?: string): Promise<{ set: string; push: string }> {
  const response = await fetch(`${base}/subscribe`, {
    method: 'POST',
    headers: setUrl ? { link: `<${setUrl}>; rel="${PUSH_LINK_RELATIONS.set}"` } : {},
  });
  if (response.status !== 201) throw new Error(`subscribe: ${response.status} ${await response.text()}`);
  const link = response.headers.get('link') ?? '';
  return { set: findLink(link, PUSH_LINK_RELATIONS.set) as string, push: findLink(link, PUSH_LINK_RELATIONS.push) as string };
}

/**
 * Our push server on `nodes` processes (more than one shares `redisUrl`); device i streams from
 * node i % nodes and its pushes go to node (i + 1) % nodes, so with two nodes every message
 * crosses the broker. With `shards`, the processes share nothing, as `fosspush-server
 * --shards N` runs them: each device's sets and pushes stay on its own process.
 */
export async function ourDeployment(options: {
  storage: 'memory' | 'sqlite' | 'redis';
  devices: number;
  subscriptionsPerDevice: number;
  nodes?: number;
  redisUrl?: string;
  shards?: number;
}): Promise<Deployment> {
  const nodes = options.shards ?? options.nodes ?? 1;
  const pushOffset = options.shards === undefined ? 1 : 0;
  const servers = await Promise.all(Array.from({ length: nodes }, () => startChild(OUR_SERVER, { built: true, cpuProfileDir: CPU_PROFILE_DIR })));
  for (const server of servers) pin(server, 'server');
  const bases = await Promise.all(servers.map((server) => server.call<string>('listen', { storage: options.storage, redisUrl: options.redisUrl })));
  const devices = await inParallel(options.devices, 32, async (i) => {
    const home = bases[i % nodes] as string;
    const postTo = bases[(i + pushOffset) % nodes] as string;
    const first = await subscribe(home);
    const pushes = [first.push];
    for (let k = 1; k < options.subscriptionsPerDevice; k++) pushes.push((await subscribe(home, first.set)).push);
    return {
      wsUrl: `${first.set.replace(/^http/, 'ws')}/ws`,
      pushes: pushes.map((push) => ({ base: postTo, path: new URL(push).pathname })),
    };
  });
  return {
    label: `fosspush (${options.storage}${options.shards !== undefined ? `, ${nodes} shards` : nodes > 1 ? `, ${nodes} nodes` : ''})`,
    pids: pidsOf(servers),
    devices,
    wire: 'fosspush',
    settle: () => collectGarbage(servers),
    async stop() {
      await Promise.all(servers.map(async (server) => {
        await server.call('close').catch(() => undefined);
        await server.stop();
      }));
    },
  };
}

/** The bare relay on `nodes` processes; each device's pushes go to the node it is connected to. */
export async function bareDeployment(options: { devices: number; subscriptionsPerDevice: number; nodes?: number }): Promise<Deployment> {
  const nodes = options.nodes ?? 1;
  const servers = await Promise.all(Array.from({ length: nodes }, () => startChild(BARE_SERVER, { built: true })));
  for (const server of servers) pin(server, 'server');
  const bases = await Promise.all(servers.map((server) => server.call<string>('listen')));
  const devices = Array.from({ length: options.devices }, (_, i) => {
    const base = bases[i % nodes] as string;
    const ids = Array.from({ length: options.subscriptionsPerDevice }, (_, k) => `d${i}s${k}`);
    return { wsUrl: `${base.replace(/^http/, 'ws')}/?subs=${ids.join(',')}`, pushes: ids.map((id) => ({ base, path: `/p/${id}` })) };
  });
  return {
    label: `bare ws${nodes > 1 ? ` (${nodes} processes)` : ''}`,
    pids: pidsOf(servers),
    devices,
    wire: 'json',
    settle: () => collectGarbage(servers),
    async stop() {
      await Promise.all(servers.map((server) => server.stop()));
    },
  };
}

/**
 * nchan with `workers` nginx workers: device i subscribes to its channels d<i>s<k> on one
 * WebSocket (nchan's multiplexed channel ids, split on commas), and pushes publish to one each.
 * Messages stay buffered for the loader's TTL, the ten newest per channel.
 */
export async function nchanDeployment(options: { devices: number; subscriptionsPerDevice: number; workers: number }): Promise<Deployment> {
  const nginx = await startNchan({ workers: options.workers, messageTimeoutSeconds: 60, messageBufferLength: 10 });
  for (const pid of nginx.pids) pinProcess(pid, 'server');
  const devices = Array.from({ length: options.devices }, (_, i) => {
    const ids = Array.from({ length: options.subscriptionsPerDevice }, (_, k) => `d${i}s${k}`);
    return { wsUrl: `${nginx.base.replace(/^http/, 'ws')}/s/${ids.join(',')}`, pushes: ids.map((id) => ({ base: nginx.base, path: `/p/${id}` })) };
  });
  return {
    label: `nchan (${options.workers} worker${options.workers > 1 ? 's' : ''})`,
    pids: nginx.pids,
    devices,
    wire: 'raw',
    settle: async () => undefined,
    stop: () => nginx.stop(),
  };
}
