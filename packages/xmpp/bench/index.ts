// POST-to-channel latency over XMPP (pnpm bench), against the WebSocket channel of a
// fosspush-server measured in the same run, and the messages per second one XMPP stream takes.
//
// Latency: from the app server's POST starting to the channel's message event, one message at
// a time. Over XMPP the POST answers only after the ack, so the send is not awaited first.
//
// Throughput: the push server's bench loader (packages/server/bench/loader.ts), in a child
// process pinned to the other CPU, keeps IN_FLIGHT POSTs in flight over keep-alive sockets (one
// request per socket at a time: no pipelining), each answered 201 only after the channel acked.
// Delivered messages are counted in this process over MEASURE_MS. CPU% of Prosody (from
// /proc/<pid>/stat), of this process and of the loader, and the share of the window Prosody and
// this process spent runnable but waiting for a CPU (/proc/<pid>/schedstat), say who the
// bottleneck is; with
// FOSSPUSH_BENCH_PROFILE=<dir> this process writes a V8 CPU profile of the XMPP window there and
// prints its top functions.
//
//   FOSSPUSH_BENCH_MESSAGES=200   messages per channel for latency (default 100)
//   FOSSPUSH_BENCH_MEASURE_MS=8000  throughput window per channel (default 5000)
//   FOSSPUSH_BENCH_IN_FLIGHT=200    POSTs in flight, one per keep-alive socket (default 50)
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Channel, encodeToken, generateSubscriptionKeys, silentLogger, utf8Encode } from '@fosspush/core';
import { createPushServer } from '@fosspush/server';
import { percentile, reportBench, startProsody, timeChannelDeliveries } from '@fosspush/testing';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { createWebSocketChannel } from '@fosspush/websocket';
import { pin, startChild } from '../../server/bench/ipc.js';
import { cpuMicros } from '../../server/bench/procfs.js';
import { createXmppChannel } from '../src/index.js';

const MESSAGES = Number(process.env['FOSSPUSH_BENCH_MESSAGES'] ?? 100);
const MEASURE_MS = Number(process.env['FOSSPUSH_BENCH_MEASURE_MS'] ?? 5000);
const WARMUP_MS = 1000;
const IN_FLIGHT = Number(process.env['FOSSPUSH_BENCH_IN_FLIGHT'] ?? 50);
const PROFILE_DIR = process.env['FOSSPUSH_BENCH_PROFILE'];
const LOADER = new URL('../../server/bench/loader.ts', import.meta.url);

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
const cpuSecondsOf = (pid: number): number => cpuMicros([pid]) / 1e6;

/**
 * Seconds a process's main thread has waited for a CPU while runnable (/proc/<pid>/schedstat,
 * field 2): on a busy machine a process can want a whole core and get a fraction, and this shows it.
 */
function runQueueSecondsOf(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
}

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

interface Throughput {
  rate: number;
  statuses: Record<string, number>;
  /** Share of a core each process used over the window. */
  cpu: { prosody?: number; ours: number; loader: number };
  /** Share of the window each process spent runnable but waiting for a CPU. */
  waiting: { prosody?: number; ours: number };
}

/** Floods `endpoint` from the loader child; counts what the channel delivers while it runs. */
async function throughput(channel: Channel, endpoint: string, label: string, prosodyPid?: number): Promise<Throughput> {
  let delivered = 0;
  channel.on('message', (event) => {
    delivered++;
    void channel.ack(event.registrationId, event.message.id);
  });
  const url = new URL(endpoint);
  const loader = await startChild(LOADER);
  pin(loader, 'client');
  await loader.call('flood', { targets: [{ host: url.hostname, port: Number(url.port), paths: [url.pathname] }], sockets: IN_FLIGHT, window: 1 });
  await sleep(WARMUP_MS);
  const profiler = PROFILE_DIR === undefined ? undefined : new Session();
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const loaderPid = loader.process.pid as number;
  const loaderCpu = () => cpuSecondsOf(loaderPid);
  const before = {
    delivered,
    at: performance.now(),
    ours: ownCpuSeconds(),
    loader: loaderCpu(),
    prosody: prosodyPid && cpuSecondsOf(prosodyPid),
    oursWaiting: runQueueSecondsOf(process.pid),
    prosodyWaiting: prosodyPid && runQueueSecondsOf(prosodyPid),
  };
  await sleep(MEASURE_MS);
  const seconds = (performance.now() - before.at) / 1000;
  const count = delivered - before.delivered;
  const cpu = {
    ours: (ownCpuSeconds() - before.ours) / seconds,
    loader: (loaderCpu() - before.loader) / seconds,
    ...(prosodyPid && before.prosody !== undefined ? { prosody: (cpuSecondsOf(prosodyPid) - before.prosody) / seconds } : {}),
  };
  const waiting = {
    ours: (runQueueSecondsOf(process.pid) - before.oursWaiting) / seconds,
    ...(prosodyPid && before.prosodyWaiting !== undefined ? { prosody: (runQueueSecondsOf(prosodyPid) - before.prosodyWaiting) / seconds } : {}),
  };
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    const file = join(PROFILE_DIR as string, `xmpp-bench-${label}.cpuprofile`);
    writeFileSync(file, JSON.stringify(profile));
    printTopFunctions(profile, file);
    profiler.disconnect();
  }
  const { statuses } = await loader.call<{ statuses: Record<string, number> }>('stop');
  await loader.stop();
  return { rate: count / seconds, statuses, cpu, waiting };
}

/** The functions with the most self time in a V8 CPU profile: where this process spends it. */
function printTopFunctions(profile: { nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>; samples?: number[] }, file: string) {
  const counts = new Map<number, number>();
  for (const id of profile.samples ?? []) counts.set(id, (counts.get(id) ?? 0) + 1);
  const total = profile.samples?.length ?? 1;
  const byName = new Map<string, number>();
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, '')}:${lineNumber + 1}`;
    byName.set(name, (byName.get(name) ?? 0) + (counts.get(node.id) ?? 0));
  }
  console.log(`CPU profile ${file}; top self time:`);
  for (const [name, count] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${((100 * count) / total).toFixed(1).padStart(5)}%  ${name}`);
}

const postTo = (request: { url: string } & RequestInit) => async () => {
  const response = await fetch(request.url, request);
  await response.text();
  if (response.status !== 201) throw new Error(`POST answered ${response.status}`);
};

const prosody = await startProsody();
// The push server's rate limits would measure the limiter, not the wire: off, as Prosody has none.
const server = createPushServer({ storage: { kind: 'memory' }, logger: silentLogger, processMetrics: false, rateLimits: { perIp: false, perSubscription: false } });
const serverUrl = await server.listen(0, '127.0.0.1');
try {
  const keys = await generateSubscriptionKeys();
  const plaintext = utf8Encode(JSON.stringify({ data: { bench: 'x'.repeat(64) } }));
  const [alice] = prosody.users;
  const prosodyPid = Number(readFileSync(join(prosody.dir, 'prosody.pid'), 'utf8').trim());

  const xmppChannel = createXmppChannel({ jid: alice.jid, password: alice.password, host: prosody.host, port: prosody.c2sPort, allowPlaintext: true });
  await xmppChannel.connect();
  const xmppSubscription = await xmppChannel.subscribe({});
  const xmppToken = encodeToken({ channel: 'webpush', endpoint: xmppSubscription.endpoint, extras: {}, ...keys });
  const xmppSamples = await timeChannelDeliveries(xmppChannel, async () => postTo(await buildPushRequest(xmppToken, plaintext, { ttlSeconds: 60 }))(), { messages: MESSAGES });
  const xmpp = await throughput(xmppChannel, xmppSubscription.endpoint, 'xmpp', prosodyPid);
  await xmppChannel.close();

  const wsChannel = createWebSocketChannel({ serverUrl });
  await wsChannel.connect();
  const wsSubscription = await wsChannel.subscribe({});
  const wsToken = encodeToken({ channel: 'webpush', endpoint: wsSubscription.endpoint, extras: {}, ...keys });
  const wsSamples = await timeChannelDeliveries(wsChannel, async () => postTo(await buildPushRequest(wsToken, plaintext, { ttlSeconds: 60 }))(), { messages: MESSAGES });
  const ws = await throughput(wsChannel, wsSubscription.endpoint, 'websocket');
  await wsChannel.close();

  const round = (n: number, digits = 2) => Number(n.toFixed(digits));
  const percent = (share: number | undefined) => (share === undefined ? 'n/a' : `${Math.round(share * 100)}%`);
  console.log('loader answers: XMPP', xmpp.statuses, 'WebSocket', ws.statuses);
  const prosodyMicrosPerMessage = xmpp.cpu.prosody === undefined ? undefined : Math.round((xmpp.cpu.prosody / xmpp.rate) * 1e6);
  console.log(
    `CPU during the XMPP flood: Prosody ${percent(xmpp.cpu.prosody)} (${prosodyMicrosPerMessage ?? 'n/a'} µs per message), bench process (channel) ${percent(xmpp.cpu.ours)}, loader ${percent(xmpp.cpu.loader)};`,
    `during the WebSocket flood: bench process (server + channel) ${percent(ws.cpu.ours)}, loader ${percent(ws.cpu.loader)}`,
  );
  console.log(
    `Waiting for a CPU while runnable, XMPP flood: Prosody ${percent(xmpp.waiting.prosody)}, bench process ${percent(xmpp.waiting.ours)};`,
    `WebSocket flood: bench process ${percent(ws.waiting.ours)} (load average ${loadavg().map((n) => n.toFixed(1)).join(' ')})`,
  );
  reportBench('xmpp', [
    {
      name: 'POST to channel p50, XMPP (Prosody mod_unified_push) vs push server',
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: 'XMPP', value: round(percentile(xmppSamples, 50)) },
      baseline: { label: 'fosspush-server WebSocket', value: round(percentile(wsSamples, 50)) },
      target: 2,
      extra: {
        'XMPP p99 ms': round(percentile(xmppSamples, 99)),
        'WebSocket p99 ms': round(percentile(wsSamples, 99)),
        'p99 ratio': round(percentile(xmppSamples, 99) / percentile(wsSamples, 99)),
        messages: MESSAGES,
      },
    },
    {
      name: `messages/s one stream takes (out-of-process loader, ${IN_FLIGHT} keep-alive POSTs in flight, each answered after the ack)`,
      unit: 'msg/s',
      higherIsBetter: true,
      ours: { label: 'XMPP', value: Math.round(xmpp.rate) },
      baseline: { label: 'fosspush-server WebSocket', value: Math.round(ws.rate) },
      extra: {
        'target msg/s (absolute)': 500,
        'XMPP met target': xmpp.rate >= 500 ? 'yes' : 'no',
        'Prosody CPU (XMPP run)': percent(xmpp.cpu.prosody),
        'Prosody CPU µs per message': prosodyMicrosPerMessage ?? 'n/a',
        'bench process CPU (XMPP run: channel)': percent(xmpp.cpu.ours),
        'bench process CPU (WebSocket run: server + channel)': percent(ws.cpu.ours),
        'loader CPU (XMPP / WebSocket run)': `${percent(xmpp.cpu.loader)} / ${percent(ws.cpu.loader)}`,
        'Prosody waiting for a CPU (XMPP run)': percent(xmpp.waiting.prosody),
        'bench process waiting for a CPU (XMPP / WebSocket run)': `${percent(xmpp.waiting.ours)} / ${percent(ws.waiting.ours)}`,
        'load average (1 min)': Number(loadavg()[0]?.toFixed(1)),
        'measured ms': MEASURE_MS,
      },
    },
  ]);
} finally {
  await server.close();
  await prosody.stop();
}
