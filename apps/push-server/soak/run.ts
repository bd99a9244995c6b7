/**
 * @module
 * The soak test, on demand and never in CI: `pnpm soak --minutes 30`. Two fosspush-server
 * nodes share one Redis under steady load while devices connect and leave; one node restarts
 * cleanly, the other crashes (SIGKILL), and Redis restarts once. Heap and RSS of each node are
 * sampled every minute. It passes when every message that got a 201 reached its device exactly
 * once and memory is flat within noise; see docs/push-server.md for the figures.
 *
 * Output: a progress line a minute on stdout, JSON-lines events on stderr, the full result as
 * JSON in the scratch folder (its path is printed). Exit codes: 0 pass, 1 a message lost or
 * delivered twice, 2 memory grew, 64 bad usage, 70 the soak itself failed.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createJsonLogger } from '@fosspush/core';
import { freePort, repoRoot } from '@fosspush/testing';
import { Fleet } from './fleet.js';
import { heapUsedBytes, redisProcess, type Restartable, rssBytes, serverNode } from './processes.js';
import { type MemorySample, segmentSlopes } from './memory.js';

const EXIT = { pass: 0, delivery: 1, memory: 2, usage: 64, software: 70 } as const;

export const SOAK_DEFAULTS = {
  minutes: 30,
  devices: 30,
  subscriptionsPerDevice: 2,
  messagesPerSecond: 10,
  /** A device leaves for good (and a new one joins) this often. */
  churnIntervalMs: 120_000,
  /** Samples from the first minutes of each node's life are left out of the slope. */
  warmupMinutes: 2,
} as const;

interface SoakConfig {
  minutes: number;
  devices: number;
  messagesPerSecond: number;
}

function parse(argv: string[]): SoakConfig {
  const { values } = parseArgs({
    args: argv,
    options: { minutes: { type: 'string' }, devices: { type: 'string' }, rate: { type: 'string' } },
  });
  const number = (value: string | undefined, fallback: number, flag: string) => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!(parsed > 0)) throw new Error(`--${flag} wants a positive number`);
    return parsed;
  };
  return {
    minutes: number(values.minutes, SOAK_DEFAULTS.minutes, 'minutes'),
    devices: Math.round(number(values.devices, SOAK_DEFAULTS.devices, 'devices')),
    messagesPerSecond: number(values.rate, SOAK_DEFAULTS.messagesPerSecond, 'rate'),
  };
}

const log = createJsonLogger({ write: (line) => process.stderr.write(`${line}\n`) });
const MIB = 1024 * 1024;

async function soak(config: SoakConfig): Promise<number> {
  const cli = join(repoRoot, 'apps/push-server/dist/cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run pnpm build first`);
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-soak-'));
  const redisPort = await freePort();
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redis = redisProcess(dir, redisPort);
  const ports = [await freePort(), await freePort()];
  const nodes = ports.map((port, i) => serverNode(`node-${'ab'[i]}`, cli, port, redisUrl, dir, []));
  const urls = ports.map((port) => `http://127.0.0.1:${port}`);
  log.info('soak_started', { ...config, dir });

  try {
    return await drive(config, { dir, redis, nodes, urls });
  } finally {
    // Whatever happened, no child outlives the soak.
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await redis.stop('SIGKILL');
  }
}

interface Rig {
  dir: string;
  redis: Restartable;
  nodes: Restartable[];
  urls: string[];
}

async function drive(config: SoakConfig, { dir, redis, nodes, urls }: Rig): Promise<number> {
  await redis.start();
  await Promise.all(nodes.map((node) => node.start()));
  const fleet = new Fleet({
    nodes: urls,
    devices: config.devices,
    subscriptionsPerDevice: SOAK_DEFAULTS.subscriptionsPerDevice,
    messagesPerSecond: config.messagesPerSecond,
    connectedMs: [20_000, 90_000],
    awayMs: [5_000, 30_000],
  });
  await fleet.start();
  const started = performance.now();
  const minutesIn = () => (performance.now() - started) / 60_000;

  const samples: MemorySample[] = [];
  const sample = async () => {
    const minute = minutesIn();
    const line: string[] = [];
    for (const [i, node] of nodes.entries()) {
      let rss: number;
      try {
        rss = rssBytes(node.pid);
      } catch {
        continue;
      }
      const heap = await heapUsedBytes(`${urls[i]}/metrics`);
      samples.push({ minute, node: node.name, life: node.life, rssBytes: rss, heapUsedBytes: heap });
      line.push(`${node.name} heap ${heap === undefined ? '?' : (heap / MIB).toFixed(1)} MiB rss ${(rss / MIB).toFixed(1)} MiB`);
    }
    const t = fleet.tally;
    log.info('soak_sample', { minute: Number(minute.toFixed(2)), ...t, connected: fleet.connectedDevices, nodes: samples.slice(-nodes.length) });
    process.stdout.write(
      `[${minute.toFixed(1)}/${config.minutes} min] accepted ${t.accepted} received ${t.received} refused ${t.refused} dup ${t.duplicates} ` +
        `devices online ${fleet.connectedDevices}/${config.devices} | ${line.join(' | ')}\n`,
    );
  };

  // Disruptions at fixed fractions of the run: a clean restart, a Redis restart, a crash.
  const disruptions: { at: number; what: string; run: () => Promise<void> }[] = [
    { at: 0.3, what: 'node-a restart (SIGTERM)', run: () => (nodes[0] as Restartable).restart('SIGTERM') },
    { at: 0.5, what: 'redis restart (SIGTERM)', run: () => redis.restart('SIGTERM') },
    { at: 0.7, what: 'node-b crash and restart (SIGKILL)', run: () => (nodes[1] as Restartable).restart('SIGKILL') },
  ];
  let nextSampleAt = 0;
  let nextChurnAt = SOAK_DEFAULTS.churnIntervalMs / 60_000;
  const events: { minute: number; what: string }[] = [];
  while (minutesIn() < config.minutes) {
    const minute = minutesIn();
    if (minute >= nextSampleAt) {
      await sample();
      nextSampleAt += 1;
    }
    const due = disruptions[0];
    if (due && minute >= due.at * config.minutes) {
      disruptions.shift();
      log.info('soak_disruption', { minute: Number(minute.toFixed(2)), what: due.what });
      process.stdout.write(`[${minute.toFixed(1)}/${config.minutes} min] ${due.what}\n`);
      await due.run();
      events.push({ minute, what: due.what });
    }
    if (minute >= nextChurnAt) {
      nextChurnAt += SOAK_DEFAULTS.churnIntervalMs / 60_000;
      void fleet.churn().catch((error: unknown) => log.warn('soak_churn_failed', { error }));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  await sample();

  const tally = await fleet.finish(120_000);
  // Post-mortem while the nodes still run: is a missing message still queued (a delivery gap)
  // or gone from the store (a loss)?
  const missing = await Promise.all(
    fleet.missingIds.slice(0, 20).map(async (id) => ({ id, status: (await fetch(`${urls[0]}/m/${id}`).catch(() => undefined))?.status })),
  );
  if (missing.length > 0) log.warn('soak_missing', { missing });
  await Promise.all(nodes.map((node) => node.stop('SIGTERM')));
  await redis.stop('SIGTERM');

  const slopes = segmentSlopes(samples, SOAK_DEFAULTS.warmupMinutes);
  const deliveryOk = tally.missing === 0 && tally.duplicates === 0;
  const memoryOk = slopes.every((slope) => slope.flat);
  const result = { config, tally, missing, events, slopes, samples, deliveryOk, memoryOk };
  const resultFile = join(dir, 'soak-result.json');
  writeFileSync(resultFile, JSON.stringify(result, null, 2));
  log.info('soak_finished', { tally, deliveryOk, memoryOk, resultFile });

  process.stdout.write(`\nsoak: ${config.minutes} min, ${config.devices} devices, ${config.messagesPerSecond} msg/s, 2 nodes on Redis\n`);
  process.stdout.write(`accepted ${tally.accepted}, received ${tally.received}, missing ${tally.missing}, duplicates ${tally.duplicates}, refused ${tally.refused}\n`);
  process.stdout.write('node    life  heap MiB/h  heap noise MiB  rss MiB/h  samples  flat\n');
  for (const s of slopes) {
    process.stdout.write(
      `${s.node.padEnd(8)}${String(s.life).padEnd(6)}${(s.heap?.mibPerHour.toFixed(2) ?? '-').padStart(10)}${(s.heap?.noiseMib.toFixed(2) ?? '-').padStart(16)}` +
        `${(s.rss?.mibPerHour.toFixed(2) ?? '-').padStart(11)}${String(s.heap?.samples ?? 0).padStart(9)}  ${s.flat ? 'yes' : 'NO'}\n`,
    );
  }
  process.stdout.write(`result: ${resultFile}\n`);
  if (!deliveryOk) return EXIT.delivery;
  return memoryOk ? EXIT.pass : EXIT.memory;
}

let config: SoakConfig;
try {
  config = parse(process.argv.slice(2).filter((arg) => arg !== '--'));
} catch (error) {
  process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\nusage: pnpm soak [--minutes N] [--devices N] [--rate MSG_PER_S]\n`);
  process.exit(EXIT.usage);
}
soak(config).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error('soak_failed', { error });
    process.exit(EXIT.software);
  },
);
