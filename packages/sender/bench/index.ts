// The sender against the `web-push` library, in one run on one machine:
// - throughput to 5,000 Web Push subscriptions on our push server (the CLI as a child process), at
//   equal concurrency: ours (`Sender.send`) vs web-push (`generateRequestDetails` + `fetch`);
// - heap growth while streaming 100,000 tokens (`sendStream`, real encryption, VAPID and HTTP
//   to a local sink), against the heap that merely holding those tokens in an array takes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  encodeToken,
  generateSubscriptionKeys,
  generateVapidKeys,
  type PushSubscriptionJSON,
  type SubscriptionKeys,
  toPushSubscription,
} from '@fosspush/core';
import { type BenchCase, reportBench } from '@fosspush/testing';
import { createPushServiceClient } from '@fosspush/webpush/user-agent';
import webpush from 'web-push';
import { Message, Sender } from '../src/index.js';
import { startPushServer } from '../test/rigs/push-server.js';

const SUBSCRIPTIONS = 5000;
const CONCURRENCY = 50;
const ROUNDS = 5;
const STREAMED_TOKENS = 100_000;
const SUBJECT = 'mailto:bench@example.org';
const DATA = { kind: 'bench', text: 'a short notification, as most are' };

setFlagsFromString('--expose_gc');
const collectGarbage = runInNewContext('gc') as () => void;

async function inParallel<T>(count: number, concurrency: number, work: (index: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      results[index] = await work(index);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

// --- Throughput against our push server -------------------------------------------------------
// Rate limits off: every request of the bench comes from 127.0.0.1, and with the CLI's
// defaults (200 requests/s per address, 1,000 sets per address) the bench would measure the limiter.
const server = await startPushServer({ args: ['--memory', '--rate-limit-ip', 'off', '--rate-limit-push', 'off', '--max-sets-per-address', '10000', '--log-level', 'warn'] });
const vapidKeys = await generateVapidKeys();
const service = createPushServiceClient({ serverUrl: server.url });
const subscriptionKeys: SubscriptionKeys[] = await inParallel(SUBSCRIPTIONS, 16, () => generateSubscriptionKeys());
const tokens = await inParallel(SUBSCRIPTIONS, 16, async (index) => {
  const { pushResourceUrl } = await service.subscribe({ vapidPublicKey: vapidKeys.publicKey });
  const keys = subscriptionKeys[index] as SubscriptionKeys;
  return encodeToken({ channel: 'webpush', endpoint: pushResourceUrl, p256dh: keys.p256dh, auth: keys.auth, extras: {} });
});
const subscriptions: PushSubscriptionJSON[] = tokens.map((token) => toPushSubscription(token));

const sender = new Sender({ vapid: { keys: vapidKeys, subject: SUBJECT }, concurrency: CONCURRENCY });
const message = new Message({ data: DATA, timeToLive: 3600 });
async function ours(count: number): Promise<{ rate: number; failures: number }> {
  const start = performance.now();
  const response = await sender.send(message, tokens.slice(0, count));
  return { rate: count / ((performance.now() - start) / 1000), failures: response.failure };
}

const payload = JSON.stringify({ data: DATA });
const vapidDetails = { subject: SUBJECT, publicKey: vapidKeys.publicKey, privateKey: vapidKeys.privateKey };
async function webPush(count: number): Promise<{ rate: number; failures: number }> {
  const start = performance.now();
  const statuses = await inParallel(count, CONCURRENCY, async (index) => {
    const details = webpush.generateRequestDetails(subscriptions[index] as PushSubscriptionJSON, payload, { vapidDetails, TTL: 3600 });
    const headers = Object.fromEntries(
      Object.entries(details.headers as Record<string, string | number>)
        .filter(([name]) => name.toLowerCase() !== 'content-length')
        .map(([name, value]) => [name, String(value)]),
    );
    const response = await fetch(details.endpoint, { method: details.method, headers, body: details.body as unknown as RequestInit['body'] });
    await response.arrayBuffer();
    return response.status;
  });
  return { rate: count / ((performance.now() - start) / 1000), failures: statuses.filter((status) => status !== 201).length };
}

// Warm up both (JIT, connection pools, the server's caches), then alternate rounds so that
// drift on a shared machine hits both alike.
await ours(500);
await webPush(500);
const oursRuns: { rate: number; failures: number }[] = [];
const theirRuns: { rate: number; failures: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  oursRuns.push(await ours(SUBSCRIPTIONS));
  theirRuns.push(await webPush(SUBSCRIPTIONS));
}
await sender.close();
await server.stop();

const cases: BenchCase[] = [
  {
    name: `send to ${SUBSCRIPTIONS.toLocaleString('en-US')} subscriptions on our push server, concurrency ${CONCURRENCY} (median of ${ROUNDS})`,
    unit: 'msg/s',
    higherIsBetter: true,
    ours: { label: '@fosspush/sender Sender.send', value: Math.round(median(oursRuns.map((run) => run.rate))) },
    baseline: { label: 'web-push generateRequestDetails + fetch', value: Math.round(median(theirRuns.map((run) => run.rate))) },
    target: 2,
    extra: {
      oursFailures: oursRuns.reduce((sum, run) => sum + run.failures, 0),
      webPushFailures: theirRuns.reduce((sum, run) => sum + run.failures, 0),
      oursRates: oursRuns.map((run) => Math.round(run.rate)).join(' '),
      webPushRates: theirRuns.map((run) => Math.round(run.rate)).join(' '),
    },
  },
];

// --- Memory while streaming 100,000 tokens ----------------------------------------------------
const sink = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(201).end());
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/p/`;
const keyPool = subscriptionKeys.slice(0, 1000);
const streamedToken = (index: number) => {
  const keys = keyPool[index % keyPool.length] as SubscriptionKeys;
  return encodeToken({ channel: 'webpush', endpoint: `${sinkUrl}${index}`, p256dh: keys.p256dh, auth: keys.auth, extras: {} });
};

// Tokens read from a database arrive as flat strings; a JSON round trip gives the same, where
// freshly encoded ones are still ropes of their concatenation and weigh about six times more.
collectGarbage();
let baseHeap = process.memoryUsage().heapUsed;
const held: string[] = JSON.parse(JSON.stringify(Array.from({ length: STREAMED_TOKENS }, (_, index) => streamedToken(index))));
collectGarbage();
const heldBytes = process.memoryUsage().heapUsed - baseHeap;
held.length = 0;

const streamSender = new Sender({ vapid: { keys: vapidKeys, subject: SUBJECT }, concurrency: CONCURRENCY });
async function* lazyTokens() {
  for (let index = 0; index < STREAMED_TOKENS; index++) yield streamedToken(index);
}
collectGarbage();
baseHeap = process.memoryUsage().heapUsed;
let peakGrowth = 0;
let sent = 0;
let streamFailures = 0;
const streamStart = performance.now();
for await (const { result } of streamSender.sendStream(message, lazyTokens())) {
  if ('error' in result) streamFailures++;
  if (++sent % 10_000 === 0) {
    collectGarbage();
    peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseHeap);
  }
}
const streamSeconds = (performance.now() - streamStart) / 1000;
await streamSender.close();
sink.close();

cases.push({
  name: `heap growth streaming ${STREAMED_TOKENS.toLocaleString('en-US')} tokens (sendStream, real sends)`,
  unit: 'MB',
  higherIsBetter: false,
  ours: { label: 'peak heap growth while streaming', value: Math.round((peakGrowth / 1e6) * 100) / 100 },
  baseline: { label: 'heap to hold the tokens in an array', value: Math.round((heldBytes / 1e6) * 100) / 100 },
  target: 0.25,
  extra: { streamed: sent, streamFailures, streamRate: Math.round(sent / streamSeconds) },
});

reportBench('sender', cases);

// The topic fan-out row (its own suite, sender-topics).
await import('./topics.js');
