// The push server's benchmarks (pnpm bench). Every figure is a ratio against a bare `ws` relay
// measured in the same run: absolute numbers on a shared 2-core machine are noise.
//
//   FOSSPUSH_BENCH_CONNECTIONS=20000  also run the many-connections case (a few minutes)
//   FOSSPUSH_BENCH_ONLY=fanout,memory   run only these suites
//   FOSSPUSH_BENCH_ROUNDS=5             fan-out rounds per deployment (default 3)
import { existsSync } from 'node:fs';
import { type BenchCase, percentile, reportBench, startRedis } from '@fosspush/testing';
import { bareDeployment, type Deployment, ourDeployment } from './deployments.js';
import { connectFleets, type Fleets, fanout, latency, memoryPerDevice, sleep, type Throughput } from './measure.js';

if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('push-server bench: measures the build output; run `pnpm build` first (the root `pnpm bench` does).');
  process.exit(1);
}

const only = process.env['FOSSPUSH_BENCH_ONLY']?.split(',');
const runs = (suite: string) => only === undefined || only.includes(suite);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const ROUNDS = Number(process.env['FOSSPUSH_BENCH_ROUNDS'] ?? 3);

async function withDeployment<T>(deploy: Promise<Deployment>, work: (deployment: Deployment) => Promise<T>): Promise<T> {
  const deployment = await deploy;
  try {
    return await work(deployment);
  } finally {
    await deployment.stop();
  }
}

/**
 * 1,000 devices x 10 subscriptions: messages delivered per second, and latency at 1,000/s.
 * All three deployments stay up and are measured in alternating rounds, each figure the median
 * of its rounds: load from elsewhere on a shared machine then hits every deployment alike.
 */
async function fanoutSuite(): Promise<void> {
  const shape = { devices: 1000, subscriptionsPerDevice: 10 };
  const deployments = [
    await bareDeployment(shape),
    await ourDeployment({ ...shape, storage: 'memory' }),
    await ourDeployment({ ...shape, storage: 'sqlite' }),
  ];
  const fleets: Fleets[] = [];
  try {
    for (const deployment of deployments) fleets.push(await connectFleets(deployment, 2));
    const rounds: Throughput[][] = deployments.map(() => []);
    for (let pass = 1; pass <= ROUNDS; pass++) {
      for (const [i, deployment] of deployments.entries()) {
        const throughput = await fanout(deployment, fleets[i] as Fleets, { warmupMs: 1000, measureMs: 4000 });
        rounds[i]?.push(throughput);
        console.log(`round ${pass}/${ROUNDS} ${deployment.label}: ${round(throughput.rate)} msgs/s, server ${round(throughput.serverCpuMicrosPerMessage, 1)} µs CPU/msg`, throughput.loader.statuses);
      }
    }
    // Let the last flood's backlog (a WAL checkpoint, queued acks) settle before timing latency.
    await sleep(2000);
    const results: FanoutResult[] = [];
    for (const [i, deployment] of deployments.entries()) {
      const delay = await latency(deployment, fleets[i] as Fleets, { ratePerSecond: 1000, warmupMs: 1000, measureMs: 4000 });
      const runs = rounds[i] as Throughput[];
      const median = (pick: (t: Throughput) => number) => percentile(runs.map(pick), 50);
      results.push({ label: deployment.label, rate: median((t) => t.rate), cpu: median((t) => t.serverCpuMicrosPerMessage), rates: runs.map((t) => round(t.rate)), delay });
      console.log(`${deployment.label}: median ${round(median((t) => t.rate))} msgs/s; p50 ${round(delay.p50, 2)} ms, p99 ${round(delay.p99, 2)} ms`);
    }
    reportFanout(results);
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await Promise.all(deployments.map((deployment) => deployment.stop()));
  }
}

interface FanoutResult {
  label: string;
  /** Median delivered msgs/s over the rounds, and each round's. */
  rate: number;
  rates: number[];
  /** Median server CPU per delivered message, µs. */
  cpu: number;
  delay: { p50: number; p99: number; samples: number };
}

function reportFanout([bare, memory, sqlite]: FanoutResult[]): void {
  if (!bare || !memory || !sqlite) throw new Error('fan-out: expected bare, memory and sqlite results');
  const throughputCase = (ours: FanoutResult, target: number): BenchCase => ({
    name: `fan-out delivered msgs/s, 1,000 devices x 10 subscriptions, ${ours.label}`,
    unit: 'msgs/s',
    higherIsBetter: true,
    ours: { label: ours.label, value: round(ours.rate) },
    baseline: { label: bare.label, value: round(bare.rate) },
    target,
    extra: {
      rounds: ROUNDS,
      oursRounds: ours.rates.join(' '),
      bareRounds: bare.rates.join(' '),
      oursServerCpuMicrosPerMessage: round(ours.cpu, 1),
      bareServerCpuMicrosPerMessage: round(bare.cpu, 1),
    },
  });
  reportBench('push-server-fanout', [throughputCase(sqlite, 0.7), throughputCase(memory, 0.9)]);

  const latencyCases = [memory, sqlite].flatMap((ours): BenchCase[] =>
    (['p50', 'p99'] as const).map((p) => ({
      name: `POST-to-device latency ${p} at 1,000 msgs/s, 1,000 devices, ${ours.label}`,
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: ours.label, value: round(ours.delay[p], 2) },
      baseline: { label: bare.label, value: round(bare.delay[p], 2) },
      extra: { samples: ours.delay.samples },
    })),
  );
  reportBench('push-server-latency', latencyCases);
}

/** Server memory per idle device connection: the growth from 5,000 to 10,000 devices. */
async function memorySuite(): Promise<void> {
  const shape = { devices: 10_000, subscriptionsPerDevice: 1 };
  const bare = await withDeployment(bareDeployment(shape), (deployment) => memoryPerDevice(deployment));
  const ours = await withDeployment(ourDeployment({ ...shape, storage: 'memory' }), (deployment) => memoryPerDevice(deployment));
  console.log(`memory per device: ours ${round(ours.rssBytes)} B RSS, ${round(ours.heapBytes)} B heap; bare ${round(bare.rssBytes)} B RSS, ${round(bare.heapBytes)} B heap`);
  const perDevice = (what: string, pick: (m: typeof ours) => number): BenchCase => ({
    name: `server ${what} per idle device connection (growth from 5,000 to 10,000 devices)`,
    unit: 'bytes',
    higherIsBetter: false,
    ours: { label: 'fosspush', value: round(pick(ours)) },
    baseline: { label: 'bare ws', value: round(pick(bare)) },
    target: 1.5,
    extra: { absoluteTarget: '<= 10240 bytes', absoluteMet: pick(ours) <= 10_240 ? 'met' : 'MISSED' },
  });
  reportBench('push-server-memory', [perDevice('memory (RSS)', (m) => m.rssBytes), perDevice('JS heap and buffers', (m) => m.heapBytes)]);
}

/**
 * The most device connections, with p99 latency at 1,000 msgs/s. One process may hold 20,000
 * open files here, so past ~19,000 connections the server runs as two nodes sharing a Redis.
 */
async function connectionsSuite(connections: number): Promise<void> {
  const nodes = connections > 19_000 ? 2 : 1;
  const fleetProcesses = Math.ceil(connections / 5000);
  const shape = { devices: connections, subscriptionsPerDevice: 1, nodes };
  const redis = nodes > 1 ? await startRedis() : undefined;
  try {
    const run = (deploy: Promise<Deployment>) =>
      withDeployment(deploy, async (deployment) => {
        const fleets = await connectFleets(deployment, fleetProcesses);
        try {
          const delay = await latency(deployment, fleets, { ratePerSecond: 1000, warmupMs: 2000, measureMs: 10_000 });
          console.log(`${deployment.label}: ${connections} connections, p50 ${round(delay.p50, 2)} ms, p99 ${round(delay.p99, 2)} ms`, delay.loader.statuses);
          return delay;
        } finally {
          await fleets.stop();
        }
      });
    const bare = await run(bareDeployment(shape));
    const ours = await run(ourDeployment({ ...shape, storage: redis ? 'redis' : 'sqlite', ...(redis ? { redisUrl: redis.url } : {}) }));
    reportBench('push-server-connections', [
      {
        name: `p99 POST-to-device latency at 1,000 msgs/s with ${connections.toLocaleString('en-US')} connected devices${nodes > 1 ? ` (${nodes} nodes)` : ''}`,
        unit: 'ms',
        higherIsBetter: false,
        ours: { label: nodes > 1 ? 'fosspush (redis, 2 nodes)' : 'fosspush (sqlite)', value: round(ours.p99, 2) },
        baseline: { label: 'bare ws', value: round(bare.p99, 2) },
        extra: { connections, oursP50: round(ours.p50, 2), bareP50: round(bare.p50, 2), absoluteTarget: 'p99 < 50 ms', absoluteMet: ours.p99 < 50 ? 'met' : 'MISSED' },
      },
    ]);
  } finally {
    await redis?.stop();
  }
}

if (runs('fanout')) await fanoutSuite();
if (runs('memory')) await memorySuite();
const connections = Number(process.env['FOSSPUSH_BENCH_CONNECTIONS'] ?? 0);
if (connections > 0 && runs('connections')) await connectionsSuite(connections);
process.exit(0);
