// Put-to-channel latency over OpenDHT (pnpm bench), against the WebSocket channel of a
// fosspush-server measured in the same run. Both are timed from the app server's send to the
// device channel's message event, one message at a time.
//
//   FOSSPUSH_BENCH_MESSAGES=200   messages per channel (default 100)
import { type Channel, type ChannelMessageEvent, createPushMessage, decodeToken, encodeToken, encryptWebPush, generateSubscriptionKeys, silentLogger, utf8Encode } from '@fosspush/core';
import { createPushServer } from '@fosspush/server';
import { percentile, reportBench, startDhtRig, timeChannelDeliveries } from '@fosspush/testing';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { createWebSocketChannel } from '@fosspush/websocket';
import { createDhtChannel, sendDhtMessage } from '../src/index.js';

const MESSAGES = Number(process.env['FOSSPUSH_BENCH_MESSAGES'] ?? 100);

const dht = await startDhtRig({ nodes: 3 });
const server = createPushServer({ storage: { kind: 'memory' }, logger: silentLogger, processMetrics: false });
const serverUrl = await server.listen(0, '127.0.0.1');
try {
  const keys = await generateSubscriptionKeys();
  const plaintext = utf8Encode(JSON.stringify({ data: { bench: 'x'.repeat(64) } }));

  // Back-to-back sends would trip the flood guard (5/s after a burst of 50): lift it here.
  const dhtChannel = createDhtChannel({ proxies: [dht.nodes[0]?.url as string], floodBurst: 10_000, floodRatePerSecond: 10_000 });
  await dhtChannel.connect();
  const dhtSubscription = await dhtChannel.subscribe({});
  const dhtToken = decodeToken(encodeToken({ channel: 'dht', endpoint: dhtSubscription.endpoint, extras: dhtSubscription.extras, ...keys }));
  const dhtSamples = await timeChannelDeliveries(dhtChannel, async () => {
    const payload = await encryptWebPush(plaintext, dhtToken);
    await sendDhtMessage(dhtToken, createPushMessage({ payload, ttlSeconds: 60 }), { proxies: [dht.nodes[1]?.url as string] });
  }, { messages: MESSAGES });
  await dhtChannel.close();

  const wsChannel = createWebSocketChannel({ serverUrl });
  await wsChannel.connect();
  const wsSubscription = await wsChannel.subscribe({});
  const wsToken = encodeToken({ channel: 'webpush', endpoint: wsSubscription.endpoint, extras: {}, ...keys });
  const wsSamples = await timeChannelDeliveries(wsChannel, async () => {
    const request = await buildPushRequest(wsToken, plaintext, { ttlSeconds: 60 });
    const response = await fetch(request.url, request);
    await response.text();
  }, { messages: MESSAGES });
  await wsChannel.close();

  const round = (n: number) => Number(n.toFixed(2));
  reportBench('dht', [
    {
      name: 'send to channel p50, DHT put vs push server POST',
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: 'OpenDHT (put via another proxy)', value: round(percentile(dhtSamples, 50)) },
      baseline: { label: 'fosspush-server WebSocket', value: round(percentile(wsSamples, 50)) },
      target: 3,
      extra: { 'DHT p99 ms': round(percentile(dhtSamples, 99)), 'WebSocket p99 ms': round(percentile(wsSamples, 99)), messages: MESSAGES },
    },
  ]);
} finally {
  await server.close();
  await dht.stop();
}
