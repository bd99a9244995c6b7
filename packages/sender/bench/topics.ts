// A topic send fanned out to 10,000 subscribed tokens against `sendEachForMulticast` over the
// same tokens, in one run with one client: the difference is the membership lookup (SQLite,
// the default store) and the NotRegistered bookkeeping. Real encryption, VAPID and HTTP, to a
// local sink that answers 201, so the push server's own cost does not drown the difference.
// Run alone: `tsx --conditions=@fosspush/source bench/topics.ts` (the sender bench runs it too).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeToken, generateSubscriptionKeys, generateVapidKeys, type SubscriptionKeys } from '@fosspush/core';
import { type BenchCase, reportBench } from '@fosspush/testing';
import { getMessaging, MAX_TOPIC_MANAGEMENT_TOKENS } from '../src/index.js';

const MEMBERS = 10_000;
const CONCURRENCY = 50;
const ROUNDS = 3;
const DATA = { kind: 'bench', text: 'a short notification, as most are' };

const sink = createServer((request, response) => {
  request.resume();
  request.on('end', () => response.writeHead(201, { location: '/m/1' }).end());
});
await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/p/`;
const keyPool: SubscriptionKeys[] = await Promise.all(Array.from({ length: 200 }, () => generateSubscriptionKeys()));
const tokens = Array.from({ length: MEMBERS }, (_, index) => {
  const keys = keyPool[index % keyPool.length] as SubscriptionKeys;
  return encodeToken({ channel: 'webpush', endpoint: `${sinkUrl}${index}`, p256dh: keys.p256dh, auth: keys.auth, extras: {} });
});

const dir = mkdtempSync(join(tmpdir(), 'fosspush-topics-bench-'));
const messaging = getMessaging({
  vapid: { keys: await generateVapidKeys(), subject: 'mailto:bench@example.org' },
  concurrency: CONCURRENCY,
  topics: { kind: 'sqlite', path: join(dir, 'topics.sqlite') },
});
const subscribeStart = performance.now();
for (let start = 0; start < MEMBERS; start += MAX_TOPIC_MANAGEMENT_TOKENS) {
  const response = await messaging.subscribeToTopic(tokens.slice(start, start + MAX_TOPIC_MANAGEMENT_TOKENS), 'news');
  if (response.failureCount > 0) throw new Error(`subscribe failed: ${response.errors[0]?.error.message}`);
}
const subscribeSeconds = (performance.now() - subscribeStart) / 1000;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return MEMBERS / ((performance.now() - start) / 1000);
}
const topicSend = () => timed(() => messaging.send({ topic: 'news', data: DATA }));
let multicastFailures = 0;
const multicast = () =>
  timed(async () => {
    multicastFailures += (await messaging.sendEachForMulticast({ tokens, data: DATA })).failureCount;
  });

// Warm up both, then alternate so drift on a shared machine hits both alike.
await topicSend();
await multicast();
const topicRates: number[] = [];
const multicastRates: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  topicRates.push(await topicSend());
  multicastRates.push(await multicast());
}
const lookupStart = performance.now();
await messaging.send({ topic: 'news', data: DATA }, true);
const members = performance.now() - lookupStart;
await messaging.close();
sink.close();
rmSync(dir, { recursive: true, force: true });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const cases: BenchCase[] = [
  {
    name: `topic send to ${MEMBERS.toLocaleString('en-US')} members (SQLite membership), concurrency ${CONCURRENCY} (median of ${ROUNDS})`,
    unit: 'msg/s',
    higherIsBetter: true,
    ours: { label: "send({ topic }) with membership lookup", value: Math.round(median(topicRates)) },
    baseline: { label: 'sendEachForMulticast over the same tokens', value: Math.round(median(multicastRates)) },
    target: 0.95,
    extra: {
      topicRates: topicRates.map(Math.round).join(' '),
      multicastRates: multicastRates.map(Math.round).join(' '),
      multicastFailures,
      subscribe10kSeconds: Math.round(subscribeSeconds * 100) / 100,
      dryRunTopicSendMs: Math.round(members),
    },
  },
];
reportBench('sender-topics', cases);
