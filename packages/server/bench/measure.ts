// Drives a deployment: device fleets in child processes, a loader child, and the figures.
import { percentile } from '@fosspush/testing';
import type { Deployment } from './deployments.js';
import { type Child, pin, startChild } from './ipc.js';
import { cpuMicros, rssBytes } from './procfs.js';
import { countSyscalls } from './syscalls.js';

const FLEET = new URL('./fleet.ts', import.meta.url);
const LOADER = new URL('./loader.ts', import.meta.url);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Fleets {
  children: Child[];
  received(): Promise<number>;
  latencies(reset?: boolean): Promise<number[]>;
  clearSamples(): Promise<void>;
  stop(): Promise<void>;
}

/** Connects every device of the deployment, spread over `processes` fleet children. */
export async function connectFleets(deployment: Deployment, processes: number): Promise<Fleets> {
  const children = await Promise.all(Array.from({ length: processes }, () => startChild(FLEET)));
  for (const child of children) pin(child, 'client');
  const open = await Promise.all(
    children.map((child, f) =>
      child.call<number>('connect', {
        urls: deployment.devices.filter((_, i) => i % processes === f).map((device) => device.wsUrl),
        wire: deployment.wire,
      }),
    ),
  );
  const total = open.reduce((sum, n) => sum + n, 0);
  if (total !== deployment.devices.length) throw new Error(`${deployment.label}: only ${total} of ${deployment.devices.length} devices connected`);
  const stats = (reset = false) => Promise.all(children.map((child) => child.call<{ received: number; latencies: number[] }>('stats', { reset })));
  return {
    children,
    received: async () => (await stats()).reduce((sum, s) => sum + s.received, 0),
    latencies: async (reset = false) => (await stats(reset)).flatMap((s) => s.latencies),
    clearSamples: async () => {
      await Promise.all(children.map((child) => child.call('clearSamples')));
    },
    async stop() {
      await Promise.all(children.map(async (child) => {
        await child.call('closeAll');
        await child.stop();
      }));
    },
  };
}

function targetsOf(deployment: Deployment) {
  const byBase = new Map<string, string[]>();
  for (const device of deployment.devices) {
    for (const push of device.pushes) byBase.set(push.base, [...(byBase.get(push.base) ?? []), push.path]);
  }
  return [...byBase].map(([base, paths]) => {
    const url = new URL(base);
    // Interleave devices so consecutive posts hit different connections.
    return { host: url.hostname, port: Number(url.port), paths: shuffle(paths) };
  });
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

export interface LoaderResult {
  sent: number;
  statuses: Record<string, number>;
}

export interface Throughput {
  /** Delivered messages per second. */
  rate: number;
  serverCpuMicrosPerMessage: number;
  loader: LoaderResult;
}

async function startFlood(deployment: Deployment): Promise<Child> {
  const loader = await startChild(LOADER);
  pin(loader, 'client');
  await loader.call('flood', { targets: targetsOf(deployment), sockets: 16, window: 64 });
  return loader;
}

async function stopLoader(loader: Child, fleets: Fleets): Promise<LoaderResult> {
  const result = await loader.call<LoaderResult>('stop');
  await loader.stop();
  // A flood leaves a large latency array in each fleet; collected later, it would stall them.
  await fleets.clearSamples();
  await sleep(500);
  return result;
}

/**
 * Posts as fast as the deployment answers; returns delivered messages per second and the CPU
 * time of every server process (user and system, all threads) per delivered message.
 */
export async function fanout(deployment: Deployment, fleets: Fleets, options: { warmupMs: number; measureMs: number }): Promise<Throughput> {
  const loader = await startFlood(deployment);
  await sleep(options.warmupMs);
  const cpuBefore = cpuMicros(deployment.pids);
  const before = await fleets.received();
  const started = performance.now();
  await sleep(options.measureMs);
  const after = await fleets.received();
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMicros(deployment.pids);
  const result = await stopLoader(loader, fleets);
  return { rate: (after - before) / elapsed, serverCpuMicrosPerMessage: (cpuAfter - cpuBefore) / Math.max(1, after - before), loader: result };
}

/**
 * System calls of the server processes per delivered message under a flood, in a window of its
 * own (the counting perturbs the traced processes). Undefined when perf cannot count them.
 */
export async function syscallsPerMessage(deployment: Deployment, fleets: Fleets, options: { warmupMs: number; measureMs: number }): Promise<number | undefined> {
  const loader = await startFlood(deployment);
  await sleep(options.warmupMs);
  const before = await fleets.received();
  const syscalls = await countSyscalls(deployment.pids, options.measureMs);
  const after = await fleets.received();
  await stopLoader(loader, fleets);
  return syscalls === undefined ? undefined : syscalls / Math.max(1, after - before);
}

/** Posts at a steady rate; returns the POST-to-device latency percentiles in ms. */
export async function latency(
  deployment: Deployment,
  fleets: Fleets,
  options: { ratePerSecond: number; warmupMs: number; measureMs: number },
): Promise<{ p50: number; p99: number; samples: number; loader: LoaderResult }> {
  const loader = await startChild(LOADER);
  pin(loader, 'client');
  await loader.call('steady', { targets: targetsOf(deployment), sockets: 4, ratePerSecond: options.ratePerSecond });
  await sleep(options.warmupMs);
  await fleets.latencies(true);
  await sleep(options.measureMs);
  const samples = await fleets.latencies(true);
  const result = await loader.call<LoaderResult>('stop');
  await loader.stop();
  await sleep(500);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length, loader: result };
}

/**
 * Server memory per connected device: the growth of the server processes' resident set size
 * from half the devices connected to all of them, after a full collection each time in Node
 * servers. Measuring the second half only keeps allocator warm-up (and the garbage of the
 * set-up requests) out of the figure. For Node servers also what the JS heap and buffers hold
 * after that collection (`heapBytes`): what the connections keep, without the pages V8 and
 * malloc keep for later, which make the RSS figure swing by a few KB between runs.
 */
export async function memoryPerDevice(deployment: Deployment): Promise<{ bytes: number; heapBytes: number | undefined }> {
  const half = Math.floor(deployment.devices.length / 2);
  const reading = async () => {
    await sleep(1000);
    const heap = await deployment.settle();
    return { rss: rssBytes(deployment.pids), heap };
  };
  const first = await connectFleets({ ...deployment, devices: deployment.devices.slice(0, half) }, 1);
  const before = await reading();
  const second = await connectFleets({ ...deployment, devices: deployment.devices.slice(half) }, 1);
  const after = await reading();
  await Promise.all([first.stop(), second.stop()]);
  const added = deployment.devices.length - half;
  const heapBytes = after.heap === undefined || before.heap === undefined ? undefined : (after.heap - before.heap) / added;
  return { bytes: (after.rss - before.rss) / added, heapBytes };
}
