// POST-to-channel latency over XMPP (pnpm bench), against the WebSocket channel of a
// fosspush-server measured in the same run, and the messages per second one XMPP stream takes.
// Latency is timed from the app server's POST starting to the channel's message event, one
// message at a time. Over XMPP the POST itself answers only after the ack, so the send is not
// awaited before the delivery.
//
//   FOSSPUSH_BENCH_MESSAGES=200   messages per channel for latency (default 100)
//   FOSSPUSH_BENCH_BURST=2000     messages for throughput (default 1000), 50 POSTs in flight
import { type Channel, type ChannelMessageEvent, decodeToken, encodeToken, encryptWebPush, generateSubscriptionKeys, silentLogger, utf8Encode } from '@fosspush/core';
import { createPushServer } from '@fosspush/server';
import { percentile, reportBench, startProsody, timeChannelDeliveries } from '@fosspush/testing';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { createWebSocketChannel } from '@fosspush/websocket';
import { createXmppChannel } from '../src/index.js';

const MESSAGES = Number(process.env['FOSSPUSH_BENCH_MESSAGES'] ?? 100);
const BURST = Number(process.env['FOSSPUSH_BENCH_BURST'] ?? 1000);
const IN_FLIGHT = 50;

/** BURST POSTs, IN_FLIGHT at a time, the channel acking each at once: delivered messages per second. */
async function throughput(channel: Channel, post: () => Promise<void>): Promise<number> {
  let delivered = 0;
  channel.on('message', (event) => {
    delivered++;
    void channel.ack(event.registrationId, event.message.id);
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < BURST) {
        next++;
        await post();
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (delivered < BURST) throw new Error(`only ${delivered} of ${BURST} delivered`);
  return delivered / seconds;
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

  const xmppChannel = createXmppChannel({ jid: alice.jid, password: alice.password, host: prosody.host, port: prosody.c2sPort, allowPlaintext: true });
  await xmppChannel.connect();
  const xmppSubscription = await xmppChannel.subscribe({});
  const xmppToken = encodeToken({ channel: 'webpush', endpoint: xmppSubscription.endpoint, extras: {}, ...keys });
  const xmppSamples = await timeChannelDeliveries(xmppChannel, async () => postTo(await buildPushRequest(xmppToken, plaintext, { ttlSeconds: 60 }))(), { messages: MESSAGES });
  // Throughput: one ciphertext POSTed again and again, so the figure is the wire, not the sender's crypto.
  const xmppBody = await encryptWebPush(plaintext, decodeToken(xmppToken));
  const xmppRate = await throughput(xmppChannel, postTo({ url: xmppSubscription.endpoint, method: 'POST', headers: { 'content-encoding': 'aes128gcm', ttl: '60' }, body: new Uint8Array(xmppBody) }));
  await xmppChannel.close();

  const wsChannel = createWebSocketChannel({ serverUrl });
  await wsChannel.connect();
  const wsSubscription = await wsChannel.subscribe({});
  const wsToken = encodeToken({ channel: 'webpush', endpoint: wsSubscription.endpoint, extras: {}, ...keys });
  const wsSamples = await timeChannelDeliveries(wsChannel, async () => postTo(await buildPushRequest(wsToken, plaintext, { ttlSeconds: 60 }))(), { messages: MESSAGES });
  const wsBody = await encryptWebPush(plaintext, decodeToken(wsToken));
  const wsRate = await throughput(wsChannel, postTo({ url: wsSubscription.endpoint, method: 'POST', headers: { 'content-encoding': 'aes128gcm', ttl: '60' }, body: new Uint8Array(wsBody) }));
  await wsChannel.close();

  const round = (n: number) => Number(n.toFixed(2));
  reportBench('xmpp', [
    {
      name: 'POST to channel p50, XMPP (Prosody mod_unified_push) vs push server',
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: 'XMPP', value: round(percentile(xmppSamples, 50)) },
      baseline: { label: 'fosspush-server WebSocket', value: round(percentile(wsSamples, 50)) },
      target: 2,
      extra: { 'XMPP p99 ms': round(percentile(xmppSamples, 99)), 'WebSocket p99 ms': round(percentile(wsSamples, 99)), messages: MESSAGES },
    },
    {
      name: `messages/s one stream takes (${IN_FLIGHT} POSTs in flight, each answered after the ack)`,
      unit: 'msg/s',
      higherIsBetter: true,
      ours: { label: 'XMPP', value: Math.round(xmppRate) },
      baseline: { label: 'fosspush-server WebSocket', value: Math.round(wsRate) },
      extra: { 'target msg/s (absolute)': 500, 'XMPP met target': xmppRate >= 500 ? 'yes' : 'no', messages: BURST },
    },
  ]);
} finally {
  await server.close();
  await prosody.stop();
}
