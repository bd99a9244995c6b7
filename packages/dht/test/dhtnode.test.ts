// The DHT channel against real OpenDHT nodes (Debian's dhtnode) in a network namespace.
import {
  createMemoryChannelState,
  createPushMessage,
  createVapidSigner,
  decodeToken,
  decryptWebPush,
  encodeToken,
  encryptWebPush,
  generateSubscriptionKeys,
  generateVapidKeys,
  type PushMessage,
  utf8Decode,
  utf8Encode,
} from '@fosspush/core';
import { type DhtRig, startDhtRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDhtChannel, type DhtChannel, type DhtChannelOptions, dhtTarget, putValue, sendDhtMessage } from '../src/index.js';

let dht: DhtRig;
const channels: DhtChannel[] = [];

beforeAll(async () => {
  // Three nodes, so a put still reaches two of them while one is down (one alone answers 502).
  dht = await startDhtRig({ nodes: 3 });
});
afterAll(async () => {
  await Promise.all(channels.map((channel) => channel.close()));
  await dht?.stop();
});

function proxy(index: number): string {
  return (dht.nodes[index] as { url: string }).url;
}

async function open(options: Partial<DhtChannelOptions> = {}) {
  const channel = createDhtChannel({ proxies: [proxy(0)], reconnect: { initialDelayMs: 50, maxDelayMs: 300 }, ...options });
  channels.push(channel);
  const received: Array<{ registrationId: string; message: PushMessage }> = [];
  channel.on('message', (event) => received.push(event));
  await channel.connect();
  return { channel, received };
}

async function register(channel: DhtChannel, vapidPublicKey?: string) {
  const keys = await generateSubscriptionKeys();
  const subscription = await channel.subscribe({ vapidPublicKey });
  const token = decodeToken(encodeToken({ channel: subscription.tokenChannel ?? 'webpush', endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras }));
  return { keys, subscription, token };
}

async function message(token: ReturnType<typeof decodeToken>, text: string, ttlSeconds = 300): Promise<PushMessage> {
  return createPushMessage({ payload: await encryptWebPush(utf8Encode(text), token), ttlSeconds });
}

describe('DHT channel on real dhtnodes', () => {
  it('delivers a message put through another proxy, which only the app can decrypt', async () => {
    const { channel, received } = await open();
    const { keys, subscription, token } = await register(channel);
    expect(token.channel).toBe('dht');
    expect(subscription.endpoint).toMatch(new RegExp(`^${proxy(0)}/key/[0-9a-f]{40}$`));
    await sendDhtMessage(token, await message(token, 'hello over the DHT'), { proxies: [proxy(1)] });
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 });
    const [event] = received;
    expect(event?.registrationId).toBe(subscription.registrationId);
    expect(utf8Decode(await decryptWebPush(event?.message.payload as Uint8Array, keys))).toBe('hello over the DHT');
  });

  it('keeps tokens across a restart and does not redeliver what was acked', async () => {
    const state = createMemoryChannelState();
    const first = await open({ state });
    const { subscription, token } = await register(first.channel);
    await sendDhtMessage(token, await message(token, 'one'));
    await sendDhtMessage(token, await message(token, 'two'));
    await vi.waitFor(() => expect(first.received).toHaveLength(2), { timeout: 10_000 });
    await first.channel.ack(subscription.registrationId, first.received[0]?.message.id as string);
    await first.channel.close();

    const second = await open({ state });
    const again = await second.channel.subscribe({ registrationId: subscription.registrationId });
    expect(again.endpoint).toBe(subscription.endpoint);
    expect(again.extras).toEqual(subscription.extras);
    // The listen replays both live values; the acked one is forgotten, the other comes again.
    await vi.waitFor(() => expect(second.received.map((event) => event.message.id)).toEqual([first.received[1]?.message.id]), { timeout: 10_000 });
  });

  it('drops and counts hostile values and still delivers the real ones', async () => {
    const { channel, received } = await open({ floodBurst: 20, floodRatePerSecond: 20 });
    const { keys, token } = await register(channel);
    const other = await register(channel);
    const { infoHash } = dhtTarget(token);
    const put = (data: string, id: number) => putValue(proxy(0), infoHash, { data, id: String(id), type: 0 });
    await put(btoa('not json'), 101);
    await put(btoa(JSON.stringify({ v: 1, id: 'x' })), 102);
    await put(btoa('x'.repeat(9000)), 103);
    // Sealed for another registration, then put under this one's key.
    const stolen = await message(other.token, 'for someone else');
    await sendDhtMessage({ ...other.token, endpoint: token.endpoint }, stolen);
    await vi.waitFor(() => expect(channel.dropped).toMatchObject({ malformed: 2, oversized: 1, unauthenticated: 1 }), { timeout: 10_000 });

    // A flood past the burst is dropped before any parsing.
    await Promise.all(Array.from({ length: 60 }, (_, i) => put(btoa('{}'), 1000 + i)));
    await vi.waitFor(() => expect(channel.dropped.rateLimited).toBeGreaterThan(20), { timeout: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await sendDhtMessage(token, await message(token, 'the real one'));
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 });
    expect(utf8Decode(await decryptWebPush(received[0]?.message.payload as Uint8Array, keys))).toBe('the real one');
  });

  it('accepts only values signed by the VAPID key a registration is restricted to', async () => {
    const { channel, received } = await open();
    const vapidKeys = await generateVapidKeys();
    const { token } = await register(channel, vapidKeys.publicKey);
    const signer = createVapidSigner({ keys: vapidKeys, subject: 'mailto:ops@example.org' });
    const stranger = createVapidSigner({ keys: await generateVapidKeys(), subject: 'mailto:x@example.org' });
    await sendDhtMessage(token, await message(token, 'unsigned'));
    await sendDhtMessage(token, await message(token, 'wrong key'), { vapid: stranger });
    await sendDhtMessage(token, await message(token, 'signed'), { vapid: signer });
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(channel.dropped.unauthenticated).toBe(2), { timeout: 10_000 });
  });

  it('answers a refused put with a typed error', async () => {
    const { channel } = await open();
    const { token } = await register(channel);
    await expect(sendDhtMessage(token, await message(token, 'x'), { proxies: ['http://127.0.0.1:1'] })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  // Last: a node that restarted slows the DHT's puts until the routing tables settle.
  it('fails over to the next proxy and catches up with values put while it was away', async () => {
    const { channel, received } = await open({ proxies: [proxy(0), proxy(1)] });
    const { token } = await register(channel);
    expect(dhtTarget(token).proxies).toEqual([proxy(0), proxy(1)]);
    await dht.nodes[0]?.stop();
    try {
      // The sender's first proxy is down too: it moves on to the token's alternate.
      await sendDhtMessage(token, await message(token, 'while the proxy was down'));
      await vi.waitFor(() => expect(channel.proxy).toBe(proxy(1)), { timeout: 10_000 });
      await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 10_000 });
      expect(channel.state).toBe('connected');
    } finally {
      await dht.nodes[0]?.start();
    }
  });

  it('reconnects to a proxy that restarts mid-listen and catches up', async () => {
    const { channel, received } = await open();
    const { token } = await register(channel);
    const states: string[] = [];
    channel.on('state', (state) => states.push(state));
    await dht.nodes[0]?.stop();
    await vi.waitFor(() => expect(channel.state).toBe('reconnecting'), { timeout: 10_000 });
    await sendDhtMessage(token, await message(token, 'put on the other node'), { proxies: [proxy(1)] });
    await dht.nodes[0]?.start();
    await vi.waitFor(() => expect(received).toHaveLength(1), { timeout: 15_000 });
    expect(states).toEqual(['reconnecting', 'connected']);
  });
});
