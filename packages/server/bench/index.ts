// The push server's benchmarks (pnpm bench). Every figure is a ratio against a baseline measured
// in the same run, a bare `ws` relay or nchan: absolute numbers on a shared 2-core machine are noise.
//
//   FOSSPUSH_BENCH_CONNECTIONS=20000  also run the many-connections case (a few minutes)
//   FOSSPUSH_BENCH_ONLY=fanout,memory   run only these suites (fanout, memory, whole, connections)
//   FOSSPUSH_BENCH_ROUNDS=5             fan-out rounds per deployment (default 3)
//   FOSSPUSH_BENCH_ACKS=0               our devices never ack (what the ack path costs the server;
//                                       unacked messages pile up, so keep such runs short)
//   FOSSPUSH_BENCH_NCHAN=0              leave out the nchan baseline (else nginx and nchan are
//                                       installed from Debian's packages when missing)
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { percentile, reportBench, startRedis } from '@fosspush/testing';
import { bareDeployment, type Deployment, nchanDeployment, ourDeployment } from './deployments.js';
import { setPinning } from './ipc.js';
import { connectFleets, type Fleets, fanout, latency, memoryPerDevice, sleep, syscallsPerMessage, type Throughput } from './measure.js';
import { type DeploymentFigures, reportFanout, reportIdleMemory, reportWholeMachine, round, type WholeMachineFigures } from './report.js';
import { syscallCountingUnavailable } from './syscalls.js';

if (!existsSync(new URL('../dist/index.js', import.meta.url))) {
  console.error('push-server bench: measures the build output; run `pnpm build` first (the root `pnpm bench` does).');
  process.exit(1);
}

const only = process.env['FOSSPUSH_BENCH_ONLY']?.split(',');
const runs = (suite: string) => only === undefined || only.includes(suite);
const ROUNDS = Number(process.env['FOSSPUSH_BENCH_ROUNDS'] ?? 3);
const WITH_NCHAN = process.env['FOSSPUSH_BENCH_NCHAN'] !== '0';

async function withDeployment<T>(deploy: Promise<Deployment>, work: (deployment: Deployment) => Promise<T>): Promise<T> {
  const deployment = await deploy;
  try {
    return await work(deployment);
  } finally {
    await deployment.stop();
  }
}

/** Flood rounds over every deployment in turn, ROUNDS times: each one's throughputs, in order. */
async function alternatingRounds(deployments: readonly Deployment[], fleets: readonly Fleets[]): Promise<Throughput[][]> {
  const rounds: Throughput[][] = deployments.map(() => []);
  for (let pass = 1; pass <= ROUNDS; pass++) {
    for (const [i, deployment] of deployments.entries()) {
      const throughput = await fanout(deployment, fleets[i] as Fleets, { warmupMs: 1000, measureMs: 4000 });
      rounds[i]?.push(throughput);
      console.log(`round ${pass}/${ROUNDS} ${deployment.label}: ${round(throughput.rate)} msgs/s, server ${round(throughput.serverCpuMicrosPerMessage, 1)} µs CPU/msg`, throughput.loader.statuses);
    }
  }
  return rounds;
}

/**
 * 1,000 devices x 10 subscriptions: messages delivered per second, server CPU time and system
 * calls per delivered message, and latency at 1,000/s. Every deployment stays up and is measured
 * in alternating rounds, each figure the median of its rounds: load from elsewhere on a shared
 * machine then hits every deployment alike.
 */
async function fanoutSuite(): Promise<void> {
  const shape = { devices: 1000, subscriptionsPerDevice: 10 };
  const deployments: Deployment[] = [];
  const fleets: Fleets[] = [];
  const deploy = async (starting: Promise<Deployment>) => {
    const deployment = await starting;
    deployments.push(deployment);
    return deployment;
  };
  try {
    const bare = await deploy(bareDeployment(shape));
    const nchan1 = WITH_NCHAN ? await deploy(nchanDeployment({ ...shape, workers: 1 })) : undefined;
    const nchan2 = WITH_NCHAN ? await deploy(nchanDeployment({ ...shape, workers: 2 })) : undefined;
    const memory = await deploy(ourDeployment({ ...shape, storage: 'memory' }));
    const sqlite = await deploy(ourDeployment({ ...shape, storage: 'sqlite' }));
    for (const deployment of deployments) fleets.push(await connectFleets(deployment, 2));
    const rounds = await alternatingRounds(deployments, fleets);
    const syscallsUnavailable = await syscallCountingUnavailable();
    if (syscallsUnavailable) console.log(`system calls per message: not measured, ${syscallsUnavailable}`);
    // Let the last flood's backlog (a WAL checkpoint, queued acks) settle before timing latency.
    await sleep(2000);
    const results = new Map<Deployment, DeploymentFigures>();
    for (const [i, deployment] of deployments.entries()) {
      const fleet = fleets[i] as Fleets;
      const syscalls = syscallsUnavailable ? undefined : await syscallsPerMessage(deployment, fleet, { warmupMs: 500, measureMs: 2000 });
      const delay = await latency(deployment, fleet, { ratePerSecond: 1000, warmupMs: 1000, measureMs: 4000 });
      const runs = rounds[i] as Throughput[];
      const median = (pick: (t: Throughput) => number) => percentile(runs.map(pick), 50);
      const figures = { label: deployment.label, rate: median((t) => t.rate), rates: runs.map((t) => round(t.rate)), cpu: median((t) => t.serverCpuMicrosPerMessage), syscalls, delay };
      results.set(deployment, figures);
      console.log(`${deployment.label}: median ${round(figures.rate)} msgs/s, ${round(figures.cpu, 1)} µs CPU/msg, ${syscalls === undefined ? 'n/a' : round(syscalls, 2)} syscalls/msg; p50 ${round(delay.p50, 2)} ms, p99 ${round(delay.p99, 2)} ms`);
    }
    const pick = (deployment: Deployment | undefined) => (deployment === undefined ? undefined : results.get(deployment));
    reportFanout({ rounds: ROUNDS, all: [...results.values()], bare: pick(bare) as DeploymentFigures, memory: pick(memory) as DeploymentFigures, sqlite: pick(sqlite) as DeploymentFigures, nchan1: pick(nchan1), nchan2: pick(nchan2) });
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await Promise.all(deployments.map((deployment) => deployment.stop()));
  }
}

/**
 * The whole machine (issue #18's "both cores"): nothing pinned, so the kernel spreads servers,
 * loader and fleets over every CPU. fosspush with its default shards (one process per CPU, as
 * `fosspush-server` starts by default, sharing nothing) against nchan with 2 workers (its
 * default on 2 cores) and with 1, with the same loader and fleets: msgs/s and CPU per message.
 */
async function wholeMachineSuite(): Promise<void> {
  if (!WITH_NCHAN) return console.log('whole-machine suite: needs nchan (FOSSPUSH_BENCH_NCHAN=0 was given)');
  const shape = { devices: 1000, subscriptionsPerDevice: 10 };
  setPinning(false);
  const deployments: Deployment[] = [];
  const fleets: Fleets[] = [];
  try {
    deployments.push(await nchanDeployment({ ...shape, workers: 1 }));
    deployments.push(await nchanDeployment({ ...shape, workers: 2 }));
    deployments.push(await ourDeployment({ ...shape, storage: 'memory', shards: availableParallelism() }));
    deployments.push(await ourDeployment({ ...shape, storage: 'sqlite', shards: availableParallelism() }));
    // What the shards gain: one process, as --shards 1 runs, on the same unpinned machine.
    deployments.push(await ourDeployment({ ...shape, storage: 'memory' }));
    for (const deployment of deployments) fleets.push(await connectFleets(deployment, 2));
    const rounds = await alternatingRounds(deployments, fleets);
    const figures = deployments.map((deployment, i) => {
      const runs = rounds[i] as Throughput[];
      const median = (pick: (t: Throughput) => number) => percentile(runs.map(pick), 50);
      return { label: deployment.label, rate: median((t) => t.rate), rates: runs.map((t) => round(t.rate)), cpu: median((t) => t.serverCpuMicrosPerMessage) };
    });
    const [nchan1, nchan2, memory, sqlite, single] = figures as [WholeMachineFigures, WholeMachineFigures, WholeMachineFigures, WholeMachineFigures, WholeMachineFigures];
    reportWholeMachine({ rounds: ROUNDS, cpus: availableParallelism(), nchan1, nchan2, memory, sqlite, single });
  } finally {
    await Promise.all(fleets.map((fleet) => fleet.stop()));
    await Promise.all(deployments.map((deployment) => deployment.stop()));
    setPinning(true);
  }
}

/** Server memory per idle device connection: the growth from 5,000 to 10,000 devices. */
async function memorySuite(): Promise<void> {
  const shape = { devices: 10_000, subscriptionsPerDevice: 1 };
  const bare = await withDeployment(bareDeployment(shape), memoryPerDevice);
  const nchan = WITH_NCHAN ? await withDeployment(nchanDeployment({ ...shape, workers: 1 }), memoryPerDevice) : undefined;
  const ours = await withDeployment(ourDeployment({ ...shape, storage: 'memory' }), memoryPerDevice);
  console.log(
    `memory per idle device: fosspush ${round(ours.bytes)} B RSS (${round(ours.heapBytes ?? 0)} B heap and buffers), bare ws ${round(bare.bytes)} B RSS (${round(bare.heapBytes ?? 0)} B)${nchan ? `, nchan ${round(nchan.bytes)} B RSS` : ''}`,
  );
  reportIdleMemory({ ours: ours.bytes, bare: bare.bytes, nchan: nchan?.bytes, oursHeap: ours.heapBytes ?? 0, bareHeap: bare.heapBytes ?? 0 });
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
if (runs('whole')) await wholeMachineSuite();
const connections = Number(process.env['FOSSPUSH_BENCH_CONNECTIONS'] ?? 0);
if (connections > 0 && runs('connections')) await connectionsSuite(connections);
process.exit(0);
