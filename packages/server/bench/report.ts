// The push-server bench's tables: one row per deployment, and the ratios issue #18 set as
// targets (each ours against nchan in the same run), written to bench/results/*.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchCase, repoRoot, reportBench } from '@fosspush/testing';

export const round = (n: number, digits = 0) => Number(n.toFixed(digits));

export interface DeploymentFigures {
  label: string;
  /** Median delivered msgs/s over the rounds, and each round's. */
  rate: number;
  rates: number[];
  /** Median CPU µs of all server processes per delivered message. */
  cpu: number;
  /** System calls of all server processes per delivered message; undefined without perf. */
  syscalls: number | undefined;
  /** POST-to-device latency at 1,000 msgs/s, ms. */
  delay: { p50: number; p99: number; samples: number };
}

function printDeployments(all: readonly DeploymentFigures[]): void {
  const rows = all.map((d) => `| ${d.label} | ${round(d.rate).toLocaleString('en-US')} | ${d.rates.join(' ')} | ${round(d.cpu, 1)} | ${d.syscalls === undefined ? 'n/a' : round(d.syscalls, 2)} | ${round(d.delay.p50, 2)} | ${round(d.delay.p99, 2)} |`);
  console.log(['\n## push-server-deployments\n', '| deployment | msgs/s (median) | rounds | server CPU µs/msg | syscalls/msg | p50 ms at 1k/s | p99 ms at 1k/s |', '|---|---|---|---|---|---|---|', ...rows].join('\n'));
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'push-server-deployments.json');
  writeFileSync(file, `${JSON.stringify({ suite: 'push-server-deployments', at: new Date().toISOString(), node: process.version, deployments: all }, null, 2)}\n`);
  console.log(`results: ${file}`);
}

const cpuCase = (ours: DeploymentFigures, baseline: DeploymentFigures, target: number, extra: Record<string, string | number> = {}): BenchCase => ({
  name: `server CPU µs per delivered message, 1,000 devices x 10 subscriptions, ${ours.label}`,
  unit: 'µs',
  higherIsBetter: false,
  ours: { label: ours.label, value: round(ours.cpu, 1) },
  baseline: { label: baseline.label, value: round(baseline.cpu, 1) },
  target,
  extra: { oursSyscallsPerMessage: ours.syscalls === undefined ? 'n/a' : round(ours.syscalls, 2), baselineSyscallsPerMessage: baseline.syscalls === undefined ? 'n/a' : round(baseline.syscalls, 2), ...extra },
});

const rateCase = (ours: DeploymentFigures, baseline: DeploymentFigures, target: number | undefined, rounds: number): BenchCase => ({
  name: `fan-out delivered msgs/s, 1,000 devices x 10 subscriptions, ${ours.label}`,
  unit: 'msgs/s',
  higherIsBetter: true,
  ours: { label: ours.label, value: round(ours.rate) },
  baseline: { label: baseline.label, value: round(baseline.rate) },
  ...(target === undefined ? {} : { target }),
  extra: { rounds, oursRounds: ours.rates.join(' '), baselineRounds: baseline.rates.join(' ') },
});

const latencyCase = (ours: DeploymentFigures, baseline: DeploymentFigures, p: 'p50' | 'p99', target?: number): BenchCase => ({
  name: `POST-to-device latency ${p} at 1,000 msgs/s, 1,000 devices, ${ours.label}`,
  unit: 'ms',
  higherIsBetter: false,
  ours: { label: ours.label, value: round(ours.delay[p], 2) },
  baseline: { label: baseline.label, value: round(baseline.delay[p], 2) },
  ...(target === undefined ? {} : { target }),
  extra: { samples: ours.delay.samples },
});

/**
 * The fan-out tables, every server on one CPU. The msgs/s targets against nchan are the
 * whole machine's ({@link reportWholeMachine}); here they are the per-CPU view.
 */
export function reportFanout(results: {
  rounds: number;
  all: readonly DeploymentFigures[];
  bare: DeploymentFigures;
  memory: DeploymentFigures;
  sqlite: DeploymentFigures;
  nchan1: DeploymentFigures | undefined;
  nchan2: DeploymentFigures | undefined;
}): void {
  const { rounds, bare, memory, sqlite, nchan1, nchan2 } = results;
  printDeployments(results.all);
  reportBench('push-server-fanout', [rateCase(sqlite, bare, undefined, rounds), rateCase(memory, bare, undefined, rounds), latencyCase(memory, bare, 'p50'), latencyCase(memory, bare, 'p99')]);
  if (nchan1 === undefined || nchan2 === undefined) return;
  reportBench('push-server-vs-nchan', [
    cpuCase(memory, nchan1, 1.5, { stretchTarget: '<= 1.2' }),
    cpuCase(sqlite, nchan1, 2.5),
    rateCase(memory, nchan2, undefined, rounds),
    rateCase(memory, nchan1, undefined, rounds),
    latencyCase(memory, nchan1, 'p99', 2),
    latencyCase(sqlite, nchan1, 'p99', 2),
    latencyCase(memory, nchan1, 'p50'),
  ]);
}

/** Throughput and CPU of one deployment in the whole-machine suite (medians of its rounds). */
export type WholeMachineFigures = Pick<DeploymentFigures, 'label' | 'rate' | 'rates' | 'cpu'>;

/**
 * The whole-machine tables: issue #18's throughput targets, fosspush with its default shards
 * against nchan with 2 workers (≥ 1.0) and with 1 (≥ 0.8), nothing pinned to a CPU.
 */
export function reportWholeMachine(results: {
  rounds: number;
  cpus: number;
  nchan1: WholeMachineFigures;
  nchan2: WholeMachineFigures;
  memory: WholeMachineFigures;
  sqlite: WholeMachineFigures;
  /** One process (`--shards 1`), memory store: what the shards gain. */
  single: WholeMachineFigures;
}): void {
  const { rounds, cpus, nchan1, nchan2, memory, sqlite, single } = results;
  const rows = [nchan1, nchan2, memory, sqlite, single].map((d) => `| ${d.label} | ${round(d.rate).toLocaleString('en-US')} | ${d.rates.join(' ')} | ${round(d.cpu, 1)} |`);
  console.log([`\n## push-server-whole-machine (${cpus} CPUs, nothing pinned)\n`, '| deployment | msgs/s (median) | rounds | server CPU µs/msg |', '|---|---|---|---|', ...rows].join('\n'));
  const whole = (ours: WholeMachineFigures, baseline: WholeMachineFigures, target: number): BenchCase => ({
    name: `whole machine (${cpus} CPUs): fan-out delivered msgs/s, 1,000 devices x 10 subscriptions, ${ours.label}`,
    unit: 'msgs/s',
    higherIsBetter: true,
    ours: { label: ours.label, value: round(ours.rate) },
    baseline: { label: baseline.label, value: round(baseline.rate) },
    target,
    extra: { rounds, oursRounds: ours.rates.join(' '), baselineRounds: baseline.rates.join(' '), oursCpuMicrosPerMessage: round(ours.cpu, 1), baselineCpuMicrosPerMessage: round(baseline.cpu, 1) },
  });
  const gain: BenchCase = { ...whole(memory, single, 1.0), name: `whole machine (${cpus} CPUs): msgs/s with ${cpus} shards against one process, memory store` };
  reportBench('push-server-whole-machine', [whole(memory, nchan2, 1.0), whole(memory, nchan1, 0.8), whole(sqlite, nchan2, 1.0), whole(sqlite, nchan1, 0.8), gain]);
}

/** Bytes per idle device connection: ours against nchan (the target) and the bare relay. */
export function reportIdleMemory(bytes: { ours: number; bare: number; nchan: number | undefined; oursHeap: number; bareHeap: number }): void {
  const perConnection = (baselineLabel: string, baseline: number, target: number): BenchCase => ({
    name: 'server memory (RSS) per idle device connection (growth from 5,000 to 10,000 devices)',
    unit: 'bytes',
    higherIsBetter: false,
    ours: { label: 'fosspush (memory)', value: round(bytes.ours) },
    baseline: { label: baselineLabel, value: round(baseline) },
    target,
    extra: { absoluteTarget: '<= 10240 bytes', absoluteMet: bytes.ours <= 10_240 ? 'met' : 'MISSED' },
  });
  reportBench('push-server-memory', [
    ...(bytes.nchan === undefined ? [] : [perConnection('nchan (1 worker)', bytes.nchan, 0.5)]),
    perConnection('bare ws', bytes.bare, 1.5),
    {
      name: 'server JS heap and buffers per idle device connection, after a full collection (same growth)',
      unit: 'bytes',
      higherIsBetter: false,
      ours: { label: 'fosspush (memory)', value: round(bytes.oursHeap) },
      baseline: { label: 'bare ws', value: round(bytes.bareHeap) },
      target: 1.5,
      ...(bytes.nchan === undefined ? {} : { extra: { nchanRss: round(bytes.nchan), oursHeapVsNchanRss: round(bytes.oursHeap / bytes.nchan, 2) } }),
    },
  ]);
}
