// Push server -> app latency, hop by hop, against push server -> a bare WebSocket channel in the
// same run. The app server here encrypts and POSTs (RFC 8030) as any sender does; the daemon
// runs in its own process with clocks on its hops (latency-daemon.ts); the app (client SDK) and
// the bare channel run in this process. Every time is `process.hrtime`, shared by the processes.
//
// The two sides alternate in rounds, so load from elsewhere on a shared machine falls on both.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppSession } from '@fosspush/client';
import { createMemoryChannelState, encodeToken } from '@fosspush/core';
import { connectIpc } from '@fosspush/ipc';
import { type BenchCase, monotonicMs, percentile, publicKeys } from '@fosspush/testing';
import { createWebSocketChannel } from '@fosspush/websocket';
import { push } from '../test/rigs.js';
import { startDaemonChild } from './daemon-child.js';
import type { LatencyDaemonHops, LatencyDaemonSettings } from './latency-daemon.js';

const ROUNDS = Number(process.env['FOSSPUSH_BENCH_LATENCY_ROUNDS'] ?? 5);
const PER_ROUND = 40;
const WARMUP = 20;
/**
 * Pushes rotate over this many registrations, each kept under the push server's per-subscription
 * burst (100, refilled at 10/s), so the limiter is never measured.
 */
const TOKENS = 6;

/** Hops of one push through the daemon, in ms after the app server started encrypting it. */
const OUR_HOPS = ['posted', 'channel', 'forwarded', 'frameAtApp', 'app'] as const;
type OurHop = (typeof OUR_HOPS)[number];
export const HOP_LABELS: Record<OurHop, string> = {
  posted: 'app server: 201 read (encrypt + POST)',
  channel: 'daemon: channel `message` (WebSocket frame parsed)',
  forwarded: 'daemon: IPC frame written (`message_stored`)',
  frameAtApp: "app process: IPC frame read (a second observer's connection)",
  app: 'app callback (client SDK: parsed, decrypted)',
};

interface Arrival {
  at: number;
  messageId: string;
}

export interface LatencyFigures {
  benchCase: (target: number) => BenchCase;
  /** p50 and p99 of each hop, ours and the baseline's. */
  hops: { hop: string; p50: number; p99: number }[];
}

export async function measureLatency(serverUrl: string, dir: string): Promise<LatencyFigures> {
  const socketPath = join(dir, 'latency.sock');
  const settings: LatencyDaemonSettings = { serverUrl, dataDir: join(dir, 'latency-daemon'), socketPath };
  const daemon = await startDaemonChild<LatencyDaemonHops>(new URL('./latency-daemon.ts', import.meta.url), settings);
  const keyFile = join(dir, 'latency-app.json');
  const app = new AppSession({ appId: 'org.bench.latency', socketPath, keyFile });
  const direct = createWebSocketChannel({ serverUrl, state: createMemoryChannelState() });
  try {
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) tokens.push((await app.register({ instance: `bench${i}|GCM` })).token);
    // A second connection observing the same app, observing first, so its frame is written and
    // read first: when the daemon's frame reaches this process.
    const { credential } = JSON.parse(await readFile(keyFile, 'utf8')) as { credential: string };
    const probe = await connectIpc({ socketPath });
    const framesAt = new Map<string, number>();
    probe.on('message', ({ message }) => framesAt.set(message.id, monotonicMs()));
    await probe.call('observe', { appId: 'org.bench.latency', credential });

    const arrivals = new Map<string, (arrival: Arrival) => void>();
    app.onMessage((message) => arrivals.get(message.data['n'] ?? '')?.({ at: monotonicMs(), messageId: message.messageId }));

    await direct.connect();
    const directTokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) {
      const subscription = await direct.subscribe({});
      directTokens.push(encodeToken({ channel: 'webpush', endpoint: subscription.endpoint, ...(await publicKeys()), extras: {} }));
    }
    let expected = '';
    direct.on('message', ({ registrationId, message }) => {
      void direct.ack(registrationId, message.id);
      arrivals.get(expected)?.({ at: monotonicMs(), messageId: message.id });
    });

    let sent = 0;
    /** One push, timed from before encryption to the callback; the hops after it are read back. */
    const once = async (token: string): Promise<{ started: number; posted: number } & Arrival> => {
      const n = String(sent++);
      expected = n;
      const arrived = new Promise<Arrival>((resolve) => arrivals.set(n, resolve));
      const started = monotonicMs();
      await push(token, { n });
      const posted = monotonicMs();
      const arrival = await arrived;
      arrivals.delete(n);
      return { started, posted, ...arrival };
    };

    const ours: Record<OurHop, number[]> = { posted: [], channel: [], forwarded: [], frameAtApp: [], app: [] };
    const bare = { posted: [] as number[], channel: [] as number[] };
    // As the bench timed it before issue 18: until both the 201 and the arrival were in.
    const bothIn = { ours: [] as number[], bare: [] as number[] };
    for (let i = 0; i < WARMUP; i++) {
      await once(tokens[i % TOKENS] as string);
      await once(directTokens[i % TOKENS] as string);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < PER_ROUND; i++) {
        const sample = await once(tokens[i % TOKENS] as string);
        const inside = await daemon.hops({ messageId: sample.messageId });
        const frameAt = framesAt.get(sample.messageId);
        framesAt.delete(sample.messageId);
        const after = (at: number | undefined) => (at === undefined ? Number.NaN : at - sample.started);
        ours.posted.push(after(sample.posted));
        ours.channel.push(after(inside.channel));
        ours.forwarded.push(after(inside.forwarded));
        ours.frameAtApp.push(after(frameAt));
        ours.app.push(after(sample.at));
        bothIn.ours.push(Math.max(sample.posted, sample.at) - sample.started);
      }
      for (let i = 0; i < PER_ROUND; i++) {
        const sample = await once(directTokens[i % TOKENS] as string);
        bare.posted.push(sample.posted - sample.started);
        bare.channel.push(sample.at - sample.started);
        bothIn.bare.push(Math.max(sample.posted, sample.at) - sample.started);
      }
    }
    probe.close();

    const samples = ROUNDS * PER_ROUND;
    const hops = [
      ...OUR_HOPS.map((hop) => ({ hop: `ours: ${HOP_LABELS[hop]}`, p50: percentile(ours[hop], 50), p99: percentile(ours[hop], 99) })),
      { hop: 'bare: app server: 201 read (encrypt + POST)', p50: percentile(bare.posted, 50), p99: percentile(bare.posted, 99) },
      { hop: 'bare: WebSocket channel `message`', p50: percentile(bare.channel, 50), p99: percentile(bare.channel, 99) },
      { hop: 'ours, timed to the later of 201 and callback (the old bench)', p50: percentile(bothIn.ours, 50), p99: percentile(bothIn.ours, 99) },
      { hop: 'bare, timed to the later of 201 and message (the old bench)', p50: percentile(bothIn.bare, 50), p99: percentile(bothIn.bare, 99) },
    ].map((row) => ({ ...row, p50: Number(row.p50.toFixed(3)), p99: Number(row.p99.toFixed(3)) }));
    return {
      hops,
      benchCase: (target) => ({
        name: 'push server -> app, p50',
        unit: 'ms',
        higherIsBetter: false,
        ours: { label: 'via fosspushd, IPC and SDK decryption', value: percentile(ours.app, 50) },
        baseline: { label: 'push server -> bare WebSocket channel', value: percentile(bare.channel, 50) },
        target,
        extra: {
          oursP99: percentile(ours.app, 99),
          baselineP99: percentile(bare.channel, 99),
          samples,
          rounds: ROUNDS,
          timedFrom: 'before the app server encrypts; to the callback (ours) or the channel `message` (bare)',
          oldBenchRatio: Number((percentile(bothIn.ours, 50) / percentile(bothIn.bare, 50)).toFixed(2)),
          ...Object.fromEntries(hops.map((row) => [row.hop, `p50 ${row.p50} / p99 ${row.p99}`])),
        },
      }),
    };
  } finally {
    await direct.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    await daemon.stop();
  }
}
