import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Channel, ChannelMessageEvent } from '@fosspush/core';
import { repoRoot } from './process.js';

/**
 * One benchmark case: a measured figure for our component and for its baseline, taken in the
 * same process and run, so that the ratio means something on a noisy shared machine.
 */
export interface BenchCase {
  name: string;
  unit: string;
  /** Whether a larger value is better (throughput) or worse (latency, bytes). */
  higherIsBetter: boolean;
  ours: { label: string; value: number };
  baseline: { label: string; value: number };
  /** The target ratio ours/baseline must reach (>= when higherIsBetter, <= otherwise). */
  target?: number;
  /** Extra figures worth recording (p99, counts...). */
  extra?: Record<string, number | string>;
}

export interface BenchResult extends BenchCase {
  ratio: number;
  met: boolean | null;
}

function evaluate(entry: BenchCase): BenchResult {
  const ratio = entry.baseline.value === 0 ? Number.NaN : entry.ours.value / entry.baseline.value;
  const met = entry.target === undefined ? null : entry.higherIsBetter ? ratio >= entry.target : ratio <= entry.target;
  return { ...entry, ratio, met };
}

const fmt = (n: number) => (Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumSignificantDigits: 4 }));

/** Renders results as a markdown table, one row per case. */
export function benchTable(results: readonly BenchResult[]): string {
  const rows = results.map((r) => {
    const target = r.target === undefined ? '' : `${r.higherIsBetter ? '>=' : '<='} ${r.target}`;
    const verdict = r.met === null ? '' : r.met ? 'met' : 'MISSED';
    return `| ${r.name} | ${fmt(r.ours.value)} ${r.unit} (${r.ours.label}) | ${fmt(r.baseline.value)} ${r.unit} (${r.baseline.label}) | ${r.ratio.toFixed(2)} | ${target} | ${verdict} |`;
  });
  return ['| case | ours | baseline | ratio | target | |', '|---|---|---|---|---|---|', ...rows].join('\n');
}

/**
 * Prints the table and writes `bench/results/<suite>.json` at the repository root.
 * The process exit code stays 0 when a target is missed: targets are reported, not enforced,
 * because absolute timings on a shared machine are noise.
 */
export function reportBench(suite: string, cases: readonly BenchCase[]): BenchResult[] {
  const results = cases.map(evaluate);
  console.log(`\n## ${suite}\n\n${benchTable(results)}\n`);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${suite}.json`);
  writeFileSync(file, `${JSON.stringify({ suite, at: new Date().toISOString(), node: process.version, results }, null, 2)}\n`);
  console.log(`results: ${file}`);
  return results;
}

/** Runs `work` repeatedly for at least `minMs` and returns operations per second. */
export async function opsPerSecond(work: () => Promise<unknown> | unknown, options: { minMs?: number; batch?: number } = {}): Promise<number> {
  const minMs = options.minMs ?? 1000;
  const batch = options.batch ?? 100;
  const start = performance.now();
  let ops = 0;
  while (performance.now() - start < minMs) {
    for (let i = 0; i < batch; i++) await work();
    ops += batch;
  }
  return ops / ((performance.now() - start) / 1000);
}

/** Percentile of a sample (nearest rank), e.g. percentile(latencies, 99). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/**
 * Send-to-channel latency, one message at a time: the milliseconds from `send` starting to the
 * channel's message event, after `warmup` untimed messages (connections, JIT). Each message is
 * acked before `send` is awaited, since some wires (XMPP) answer the sender only after the ack.
 */
export async function timeChannelDeliveries(channel: Channel, send: () => Promise<void>, options: { messages: number; warmup?: number; timeoutMs?: number }): Promise<number[]> {
  const { messages, warmup = 5, timeoutMs = 10_000 } = options;
  const samples: number[] = [];
  let arrived: ((event: ChannelMessageEvent) => void) | undefined;
  channel.on('message', (event) => arrived?.(event));
  for (let i = 0; i < messages + warmup; i++) {
    const delivered = new Promise<ChannelMessageEvent>((resolve) => {
      arrived = resolve;
    });
    const started = process.hrtime.bigint();
    const sending = send();
    const event = await Promise.race([
      delivered,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`message ${i} not delivered in ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (i >= warmup) samples.push(ms);
    await channel.ack(event.registrationId, event.message.id);
    await sending;
  }
  arrived = undefined;
  return samples;
}
