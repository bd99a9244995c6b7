// Push server -> app latency, hop by hop, against push server -> a bare WebSocket channel in the
// same run. The app server here encrypts and POSTs (RFC 8030) as any sender does; the daemon
// runs in its own process with clocks on its hops (latency-daemon.ts); the app (client SDK) and
// the bare channel run in this process. Every time is `process.hrtime`, shared by the processes.
//
// A third side measures the floor under any daemon: the bare channel in a process of its own,
// relaying each message over a Unix socket to this process and doing nothing else
// (latency-relay.ts). Between rounds, pings over that socket time the Unix-socket hop between
// two Node processes alone.
//
// The sides alternate in rounds, so load from elsewhere on a shared machine falls on all.
import { connect } from 'node:net';
import { join } from 'node:path';
import { AppSession } from '@fosspush/client';
import {
  createMemoryChannelState,
  decryptWebPush,
  encodeToken,
  fromBase64Url,
  generateSubscriptionKeys,
  type SubscriptionKeys,
} from '@fosspush/core';
import { nodeWebPushCrypto } from '@fosspush/webpush/node';
import { FrameDecoder, type IpcClient } from '@fosspush/ipc';
import { type BenchCase, monotonicMs, percentile, publicKeys } from '@fosspush/testing';
import { createWebSocketChannel } from '@fosspush/websocket';
import { push } from '../test/rigs.js';
import { startDaemonChild } from './daemon-child.js';
import type { LatencyDaemonHops, LatencyDaemonSettings } from './latency-daemon.js';
import type { LatencyRelaySettings, RelayFrame, RelaySubscription } from './latency-relay.js';
import type { SenderRequest, SentPush } from './latency-sender.js';

const ROUNDS = Number(process.env['FOSSPUSH_BENCH_LATENCY_ROUNDS'] ?? 5);
/**
 * `process` runs the app server in a process of its own (latency-sender.ts), as a deployment
 * has it, instead of in the bench (app) process, where its 201 may keep the app's process busy
 * when a frame arrives. In alternating runs the two layouts gave the same ratios within the
 * noise of a shared machine (docs/daemon.md), so the default stays as earlier figures were taken.
 */
const SENDER_INLINE = process.env['FOSSPUSH_BENCH_LATENCY_SENDER'] !== 'process';
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
  forwarded: 'daemon: IPC frame written (`message_stored`, logged after the write)',
  frameAtApp: "app process: IPC frame read (the SDK's own connection)",
  app: 'app callback (client SDK: parsed, decrypted)',
};

interface Arrival {
  at: number;
  messageId: string;
}

export interface LatencyFigures {
  /** Ours against the bare channel (the target), and the bare relay against it (the floor). */
  benchCases: (target: number) => BenchCase[];
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
  const relaySettings: LatencyRelaySettings = { serverUrl, socketPath: join(dir, 'relay.sock'), subscriptions: TOKENS };
  const relay = await startDaemonChild<never, { subscriptions: RelaySubscription[] }>(new URL('./latency-relay.ts', import.meta.url), relaySettings);
  const relaySocket = connect(relaySettings.socketPath);
  const sender = SENDER_INLINE ? undefined : await startDaemonChild<SentPush>(new URL('./latency-sender.ts', import.meta.url), {});
  /** Starts a push; what it resolves to gives its times (from the sender once it is asked). */
  const sendPush = async (token: string, n: string): Promise<() => Promise<SentPush>> => {
    if (sender) {
      await sender.hops({ push: { token, n } } satisfies SenderRequest);
      return () => sender.hops({ times: n } satisfies SenderRequest);
    }
    const started = monotonicMs();
    const posted = push(token, { n }).then(() => ({ started, posted: monotonicMs() }));
    return () => posted;
  };
  try {
    const tokens: string[] = [];
    for (let i = 0; i < TOKENS; i++) tokens.push((await app.register({ instance: `bench${i}|GCM` })).token);
    const arrivals = new Map<string, (arrival: Arrival) => void>();
    app.onMessage((message) => arrivals.get(message.data['n'] ?? '')?.({ at: monotonicMs(), messageId: message.messageId }));
    // When the frame reaches the app: a listener on the SDK's own connection, after the SDK's
    // (which only queues the message), so it runs before decryption. A second connection
    // observing the app, as the bench had, costs the daemon a second write, and the wake-up of
    // this process by whichever frame goes first delays the other.
    const framesAt = new Map<string, number>();
    const sdkConnection = (await Reflect.get(app, 'ipc')) as IpcClient;
    sdkConnection.on('message', ({ message }) => framesAt.set(message.id, monotonicMs()));

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

    // The relay's tokens carry keys this process holds, so it can also decrypt what arrives: the
    // relay plus the one decryption the app must do (the bare channel hands over ciphertext).
    const relayTokens: string[] = [];
    const relayKeys = new Map<string, SubscriptionKeys>();
    for (const { registrationId, endpoint } of relay.ready.subscriptions) {
      const keys = await generateSubscriptionKeys();
      relayKeys.set(registrationId, keys);
      relayTokens.push(encodeToken({ channel: 'webpush', endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: {} }));
    }
    const relayChannelAt = new Map<string, number>();
    const relayDecryptedAt = new Map<string, number>();
    let pong: ((readAt: number, at: number) => void) | undefined;
    const relayFrames = new FrameDecoder(64 * 1024);
    relaySocket.on('data', (chunk: Buffer) => {
      const at = monotonicMs();
      for (const event of relayFrames.push(chunk)) {
        if (event.kind !== 'frame') continue;
        const frame = JSON.parse(event.text) as RelayFrame;
        if (frame.kind === 'pong') pong?.(frame.readAt, at);
        else {
          relayChannelAt.set(frame.id, frame.channelAt);
          const arrived = arrivals.get(expected);
          // The arrival is the frame read; it is reported once the decryption is done too, so
          // the bench's next step does not run inside the decryption's timing.
          void decryptWebPush(fromBase64Url(frame.payload), relayKeys.get(frame.registrationId) as SubscriptionKeys, { crypto: nodeWebPushCrypto }).then(() => {
            relayDecryptedAt.set(frame.id, monotonicMs());
            arrived?.({ at, messageId: frame.id });
          });
        }
      }
    });
    /** One ping over the relay's socket: [this process -> relay, relay -> this process], one way each. */
    const ping = () =>
      new Promise<[number, number]>((resolve) => {
        const sentAt = monotonicMs();
        pong = (readAt, at) => resolve([readAt - sentAt, at - readAt]);
        relaySocket.write('ping\n');
      });

    let sent = 0;
    /** One push, timed from before encryption to the callback; the hops after it are read back. */
    const once = async (token: string): Promise<SentPush & Arrival> => {
      const n = String(sent++);
      expected = n;
      const arrived = new Promise<Arrival>((resolve) => arrivals.set(n, resolve));
      const sentPush = await sendPush(token, n);
      const arrival = await arrived;
      arrivals.delete(n);
      return { ...(await sentPush()), ...arrival };
    };

    const ours: Record<OurHop, number[]> = { posted: [], channel: [], forwarded: [], frameAtApp: [], app: [] };
    const bare = { posted: [] as number[], channel: [] as number[] };
    /** Per message, ms: the rows above are each their own p50 and do not add up. */
    const durations = { stored: [] as number[], toApp: [] as number[], sdk: [] as number[], relayHop: [] as number[] };
    const relayed = { channel: [] as number[], app: [] as number[], decrypted: [] as number[] };
    const unixOneWay = { toRelay: [] as number[], fromRelay: [] as number[] };
    // As the bench timed it before issue 18: until both the 201 and the arrival were in.
    const bothIn = { ours: [] as number[], bare: [] as number[] };
    for (let i = 0; i < WARMUP; i++) {
      await once(tokens[i % TOKENS] as string);
      await once(relayTokens[i % TOKENS] as string);
      await once(directTokens[i % TOKENS] as string);
      await ping();
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
        durations.stored.push((inside.forwarded ?? Number.NaN) - (inside.channel ?? Number.NaN));
        durations.toApp.push((frameAt ?? Number.NaN) - (inside.channel ?? Number.NaN));
        durations.sdk.push(sample.at - (frameAt ?? Number.NaN));
        bothIn.ours.push(Math.max(sample.posted, sample.at) - sample.started);
      }
      for (let i = 0; i < PER_ROUND; i++) {
        const sample = await once(relayTokens[i % TOKENS] as string);
        relayed.channel.push((relayChannelAt.get(sample.messageId) ?? Number.NaN) - sample.started);
        relayed.app.push(sample.at - sample.started);
        relayed.decrypted.push((relayDecryptedAt.get(sample.messageId) ?? Number.NaN) - sample.started);
        relayDecryptedAt.delete(sample.messageId);
        durations.relayHop.push(sample.at - (relayChannelAt.get(sample.messageId) ?? Number.NaN));
        relayChannelAt.delete(sample.messageId);
      }
      for (let i = 0; i < PER_ROUND; i++) {
        const [toRelay, fromRelay] = await ping();
        unixOneWay.toRelay.push(toRelay);
        unixOneWay.fromRelay.push(fromRelay);
      }
      for (let i = 0; i < PER_ROUND; i++) {
        const sample = await once(directTokens[i % TOKENS] as string);
        bare.posted.push(sample.posted - sample.started);
        bare.channel.push(sample.at - sample.started);
        bothIn.bare.push(Math.max(sample.posted, sample.at) - sample.started);
      }
    }

    const samples = ROUNDS * PER_ROUND;
    const p50p99 = (values: number[]) => {
      const measured = values.filter((value) => !Number.isNaN(value));
      return { p50: percentile(measured, 50), p99: percentile(measured, 99) };
    };
    const hops = [
      ...OUR_HOPS.map((hop) => ({ hop: `ours: ${HOP_LABELS[hop]}`, ...p50p99(ours[hop]) })),
      { hop: 'bare: app server: 201 read (encrypt + POST)', ...p50p99(bare.posted) },
      { hop: 'bare: WebSocket channel `message`', ...p50p99(bare.channel) },
      { hop: 'relay: WebSocket channel `message` in its own process', ...p50p99(relayed.channel) },
      { hop: 'relay: frame read in the app process (Unix socket)', ...p50p99(relayed.app) },
      { hop: 'relay: and decrypted in the app process (node:crypto)', ...p50p99(relayed.decrypted) },
      { hop: 'Unix socket alone, app process -> relay, one way (idle)', ...p50p99(unixOneWay.toRelay) },
      { hop: 'Unix socket alone, relay -> app process, one way (idle)', ...p50p99(unixOneWay.fromRelay) },
      { hop: 'per message: daemon channel `message` -> IPC frame written', ...p50p99(durations.stored) },
      { hop: 'per message: daemon channel `message` -> IPC frame read by the app', ...p50p99(durations.toApp) },
      { hop: 'per message: IPC frame read -> app callback (SDK, decryption)', ...p50p99(durations.sdk) },
      { hop: 'per message: relay channel `message` -> frame read by the app', ...p50p99(durations.relayHop) },
      { hop: 'ours, timed to the later of 201 and callback (the old bench)', ...p50p99(bothIn.ours) },
      { hop: 'bare, timed to the later of 201 and message (the old bench)', ...p50p99(bothIn.bare) },
    ].map((row) => ({ ...row, p50: Number(row.p50.toFixed(3)), p99: Number(row.p99.toFixed(3)) }));
    /** A p50 case against the bare channel's, under the target. */
    const againstBare = (target: number, name: string, label: string, values: number[], extra: BenchCase['extra']): BenchCase => ({
      name,
      unit: 'ms',
      higherIsBetter: false,
      ours: { label, value: percentile(values, 50) },
      baseline: { label: 'push server -> bare WebSocket channel', value: percentile(bare.channel, 50) },
      target,
      extra: { p99: percentile(values, 99), baselineP99: percentile(bare.channel, 99), samples, rounds: ROUNDS, ...extra },
    });
    return {
      hops,
      benchCases: (target) => [
        againstBare(target, 'push server -> app, p50', 'via fosspushd, IPC and SDK decryption', ours.app, {
          timedFrom: 'before the app server encrypts; to the callback (ours) or the channel `message` (bare)',
          appServer: SENDER_INLINE ? 'in the bench (app) process' : 'in a process of its own',
          oldBenchRatio: Number((percentile(bothIn.ours, 50) / percentile(bothIn.bare, 50)).toFixed(2)),
          ...Object.fromEntries(hops.map((row) => [row.hop, `p50 ${row.p50} / p99 ${row.p99}`])),
        }),
        // The same target for a relay that does nothing but the process hop: what it misses by,
        // no daemon between the channel and the app can make up.
        againstBare(
          target,
          'push server -> bare relay process -> app (the process hop alone), p50',
          'bare channel in a second process, Unix socket to the app process',
          relayed.app,
          {
            oursOverRelay: Number((percentile(ours.app, 50) / percentile(relayed.app, 50)).toFixed(2)),
            relayDecryptedP50: Number(p50p99(relayed.decrypted).p50.toFixed(3)),
            relayDecryptedRatio: Number((p50p99(relayed.decrypted).p50 / percentile(bare.channel, 50)).toFixed(2)),
            unixOneWayP50: Number(percentile(unixOneWay.fromRelay, 50).toFixed(3)),
          },
        ),
      ],
    };
  } finally {
    relaySocket.destroy();
    await relay.stop();
    await sender?.stop();
    await direct.close().catch(() => undefined);
    await app.close().catch(() => undefined);
    await daemon.stop();
  }
}
