import { type Channel, type ChannelMessageEvent, type ChannelStateStore, createMemoryChannelState, type FosspushError } from '@fosspush/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type DeviceWireHandlers, type DeviceWireRig, startDeviceWireRig, type TestDeviceHub } from './device-wire-rig.js';

/** The options every device channel takes (a structural copy, so this package needs no wire package). */
export interface DeviceChannelTestOptions {
  serverUrl: string;
  state: ChannelStateStore;
  reconnect: { initialDelayMs: number; maxDelayMs: number; resetAfterMs: number };
  heartbeatTimeoutMs: number;
}

/** Server handler options the suite sets (the handlers' own names). */
export interface DeviceHandlerTestOptions {
  heartbeatIntervalMs: number;
  highWaterMarkBytes?: number;
  maxQueuedBytes?: number;
}

export interface DeviceChannelHarness {
  /** The transport's real server handler, over the rig's hub. */
  mount(hub: TestDeviceHub, options: DeviceHandlerTestOptions): DeviceWireHandlers;
  /** Opens a stream of the set that stops reading once the server has accepted it; resolves to its closer. */
  stallStream(setUrl: string): Promise<() => void>;
  /** A stream endpoint that sends exactly these text frames, then stays silent (no heartbeats). */
  mountScripted(frames: readonly string[]): DeviceWireHandlers;
  createChannel(options: DeviceChannelTestOptions): Channel;
}

const WAIT = { timeout: 5_000, interval: 10 };
/**
 * The handlers' heartbeat in the suite. A WebSocket server drops a device silent for twice
 * this long, so it must outlast the event-loop stalls of a loaded test machine.
 */
const HEARTBEAT_MS = 250;
const READY = JSON.stringify({ type: 'ready', v: 1, heartbeatMs: 20 });

/**
 * The behaviour every device channel (and its server handler) must have, run against real
 * sockets: `describeDeviceChannelConformance('websocket', harness)`.
 */
export function describeDeviceChannelConformance(transport: string, harness: DeviceChannelHarness): void {
  describe(`device channel conformance: ${transport}`, () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    const start = async (mount: (hub: TestDeviceHub) => DeviceWireHandlers = (hub) => harness.mount(hub, { heartbeatIntervalMs: HEARTBEAT_MS })) => {
      const rig = await startDeviceWireRig(mount);
      cleanups.push(() => rig.close());
      return rig;
    };

    const open = (rig: DeviceWireRig, state: ChannelStateStore = createMemoryChannelState(), heartbeatTimeoutMs = 1_000) => {
      const channel = harness.createChannel({
        serverUrl: rig.url,
        state,
        reconnect: { initialDelayMs: 10, maxDelayMs: 50, resetAfterMs: 1_000 },
        heartbeatTimeoutMs,
      });
      const messages: ChannelMessageEvent[] = [];
      const errors: FosspushError[] = [];
      channel.on('message', (event) => messages.push(event));
      channel.on('error', (error) => errors.push(error));
      cleanups.push(() => channel.close());
      return { channel, messages, errors };
    };

    const ids = (messages: readonly ChannelMessageEvent[]) => messages.map((event) => event.message.id);

    it('multiplexes ten subscriptions over one connection', async () => {
      const rig = await start();
      const { channel, messages } = open(rig);
      await channel.connect();
      const subscriptions = [];
      for (let i = 0; i < 10; i++) subscriptions.push(await channel.subscribe({}));
      await vi.waitFor(() => expect(channel.state).toBe('connected'), WAIT);

      expect(new Set(subscriptions.map((s) => s.registrationId)).size).toBe(10);
      for (const subscription of subscriptions) {
        expect(subscription.endpoint).toBe(new URL(`/p/${subscription.registrationId}`, rig.url).href);
        expect(await rig.store.getRegistration(subscription.registrationId)).toBeDefined();
      }
      const sent = [];
      for (const [i, subscription] of subscriptions.entries()) {
        sent.push(await rig.push(subscription.registrationId, { payload: new Uint8Array([i, 42]), topic: `t${i}` }));
      }
      await vi.waitFor(() => expect(messages).toHaveLength(10), WAIT);
      expect(rig.hub.opens).toHaveLength(1);
      expect(rig.hub.openSessions).toBe(1);
      for (const [i, event] of messages.entries()) {
        expect(event.registrationId).toBe(subscriptions[i]?.registrationId);
        expect(event.message.id).toBe(sent[i]?.id);
        expect(event.message.payload).toEqual(new Uint8Array([i, 42]));
        expect(event.message.topic).toBe(`t${i}`);
        expect(event.message.ttlSeconds).toBe(3600);
      }
    });

    it('subscribes made at once share one set', async () => {
      const rig = await start();
      const { channel } = open(rig);
      const made = await Promise.all([1, 2, 3, 4, 5].map(() => channel.subscribe({})));
      const owners = await Promise.all(made.map(async (s) => (await rig.store.getRegistration(s.registrationId))?.owner));
      expect(new Set(owners).size).toBe(1);
      expect(rig.hub.sets.size).toBe(1);
      await expect(channel.subscribe({ registrationId: 'never-made' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('acks remove messages from the store', async () => {
      const rig = await start();
      const { channel, messages } = open(rig);
      const { registrationId } = await channel.subscribe({});
      await channel.connect();
      const first = await rig.push(registrationId);
      const second = await rig.push(registrationId);
      await vi.waitFor(() => expect(messages).toHaveLength(2), WAIT);
      await channel.ack(registrationId, first.id);
      await vi.waitFor(async () => expect(await rig.store.getMessage(first.id)).toBeUndefined(), WAIT);
      expect(await rig.store.getMessage(second.id)).toBeDefined();
      await channel.ack(registrationId, second.id);
      await vi.waitFor(async () => expect(await rig.store.listMessages({})).toEqual([]), WAIT);
    });

    it('acks over DELETE of the message resource while the stream is down', async () => {
      const rig = await start();
      const { channel, messages } = open(rig);
      const { registrationId } = await channel.subscribe({});
      await channel.connect();
      const message = await rig.push(registrationId);
      await vi.waitFor(() => expect(messages).toHaveLength(1), WAIT);
      await channel.close();
      await channel.ack(registrationId, message.id);
      expect(rig.requests).toContain(`DELETE /m/${message.id}`);
      expect(await rig.store.getMessage(message.id)).toBeUndefined();
    });

    it('resumes after a dropped connection without losing or repeating a message', async () => {
      const rig = await start();
      const { channel, messages, errors } = open(rig);
      const { registrationId } = await channel.subscribe({});
      await channel.connect();
      const sent = [await rig.push(registrationId), await rig.push(registrationId)];
      await vi.waitFor(() => expect(messages).toHaveLength(2), WAIT);

      const states: string[] = [];
      channel.on('state', (state) => states.push(state));
      rig.dropStreams();
      sent.push(await rig.push(registrationId), await rig.push(registrationId));
      await vi.waitFor(() => expect(messages).toHaveLength(4), WAIT);
      sent.push(await rig.push(registrationId));
      await vi.waitFor(() => expect(messages).toHaveLength(5), WAIT);

      expect(ids(messages)).toEqual(sent.map((m) => m.id));
      expect(states).toEqual(['reconnecting', 'connected']);
      expect(errors.map((e) => e.code)).toContain('UNAVAILABLE');
      // The reconnect asked for what followed the last seq it had handed on.
      expect(rig.hub.opens).toEqual([undefined, sent[1]?.seq]);
      // None was acked, so all stay queued: the cursor, not the store, prevented repeats.
      expect(await rig.store.listMessages({})).toHaveLength(5);
    });

    it('drops a stream that reads too slowly, without stalling another, and loses nothing', async () => {
      // No heartbeats within the test: only the overflow may end the stalled stream.
      const limits = { heartbeatIntervalMs: 60_000, highWaterMarkBytes: 16 * 1024, maxQueuedBytes: 256 * 1024 };
      const rig = await start((hub) => harness.mount(hub, limits));
      const stalled = await rig.subscribe();
      const closeStalled = await harness.stallStream(stalled.setUrl);
      cleanups.push(async () => closeStalled());
      await vi.waitFor(() => expect(rig.hub.openSessions).toBe(1), WAIT);
      const { channel, messages } = open(rig, createMemoryChannelState(), 10_000);
      const { registrationId } = await channel.subscribe({});
      await channel.connect();
      expect(rig.hub.openSessions).toBe(2);

      const payload = new Uint8Array(4000);
      const sent: string[] = [];
      for (let i = 0; i < 1500; i++) {
        await rig.push(stalled.pushId, { payload });
        await rig.push(stalled.pushId, { payload });
        if (i % 100 === 0) sent.push((await rig.push(registrationId)).id);
      }
      await vi.waitFor(() => expect(ids(messages)).toEqual(sent), WAIT);
      await vi.waitFor(() => expect(rig.hub.openSessions).toBe(1), WAIT);
      // What the stalled device missed stays queued for its resume.
      expect(await rig.store.listMessages({ owner: stalled.setSecret, limit: 5000 })).toHaveLength(3000);
    });

    it('a restarted channel keeps its endpoints and is sent again only what it had not acked', async () => {
      const rig = await start();
      const state = createMemoryChannelState();
      const before = open(rig, state);
      const subscription = await before.channel.subscribe({});
      await before.channel.connect();
      const [m1, m2, m3] = [await rig.push(subscription.registrationId), await rig.push(subscription.registrationId), await rig.push(subscription.registrationId)];
      await vi.waitFor(() => expect(before.messages).toHaveLength(3), WAIT);
      await before.channel.ack(subscription.registrationId, m1?.id as string);
      await before.channel.ack(subscription.registrationId, m3?.id as string);
      await before.channel.close();

      const after = open(rig, state);
      expect(await after.channel.subscribe({ registrationId: subscription.registrationId })).toEqual(subscription);
      await after.channel.connect();
      const m4 = await rig.push(subscription.registrationId);
      await vi.waitFor(() => expect(after.messages).toHaveLength(2), WAIT);
      expect(ids(after.messages)).toEqual([m2?.id, m4.id]);
      expect(rig.hub.opens.at(-1)).toBe(m1?.seq);
    });

    it('unsubscribe deletes the subscription, and the last one forgets the set', async () => {
      const rig = await start();
      const state = createMemoryChannelState();
      const { channel } = open(rig, state);
      await channel.connect();
      const a = await channel.subscribe({});
      const b = await channel.subscribe({});
      const setUrl = await state.get('setUrl');
      await channel.unsubscribe(a.registrationId);
      expect(await rig.store.getRegistration(a.registrationId)).toBeUndefined();
      expect(await rig.store.getRegistration(b.registrationId)).toBeDefined();
      await expect(channel.unsubscribe(a.registrationId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await channel.unsubscribe(b.registrationId);
      expect(await state.get('setUrl')).toBeUndefined();
      expect(channel.state).toBe('connected');
      await channel.subscribe({});
      expect(await state.get('setUrl')).not.toBe(setUrl);
    });

    it('ends with NOT_FOUND and forgets the set when the service no longer knows it', async () => {
      const rig = await start();
      const state = createMemoryChannelState();
      const { channel, errors } = open(rig, state);
      await channel.subscribe({});
      await channel.connect();
      rig.hub.sets.clear();
      rig.dropStreams();
      await vi.waitFor(() => expect(channel.state).toBe('closed'), WAIT);
      expect(errors.at(-1)?.code).toBe('NOT_FOUND');
      expect(await state.get('setUrl')).toBeUndefined();
      expect(await state.get('subscriptions')).toBeUndefined();
    });

    it("waits out a refusal's Retry-After before it reconnects", async () => {
      const rig = await start();
      const { channel, errors } = open(rig);
      await channel.subscribe({});
      rig.refuseStreams(429, 1, 1);
      await channel.connect();
      expect(errors[0]).toMatchObject({ code: 'RATE_LIMITED', details: { status: 429, retryAfterMs: 1_000 } });
      const [refused = 0, accepted = 0] = rig.streamRequestTimes;
      // With a 10 ms backoff, only the Retry-After explains a second's wait.
      expect(accepted - refused).toBeGreaterThanOrEqual(950);
    });

    it("retries a 404 that is not the push service's own, and keeps its state", async () => {
      const rig = await start();
      const state = createMemoryChannelState();
      const { channel, errors } = open(rig, state);
      await channel.subscribe({});
      rig.refuseStreams(404, 0, 1);
      await channel.connect();
      expect(errors[0]).toMatchObject({ code: 'UNAVAILABLE', details: { status: 404 } });
      expect(channel.state).toBe('connected');
      expect(await state.get('setUrl')).toBeDefined();
    });

    it('a connect to an unknown set rejects with NOT_FOUND', async () => {
      const rig = await start();
      const state = createMemoryChannelState();
      await state.set('setUrl', new URL('/set/unknown', rig.url).href);
      const { channel } = open(rig, state);
      await expect(channel.connect()).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(channel.state).toBe('closed');
    });

    it('reports malformed server frames as PROTOCOL_ERROR, skips them, and hands on a repeated message once', async () => {
      const good = { type: 'msg', seq: 7, id: 'm-good', sub: 'r1', ttl: 60, urgency: 'high', sentAt: 1_700_000_000_000, payload: 'AQID' };
      const garbage = [
        'not json',
        '[1,2]',
        JSON.stringify({ type: 'bogus' }),
        JSON.stringify({ ...good, seq: -1 }),
        JSON.stringify({ ...good, payload: '!!' }),
        JSON.stringify({ ...good, id: undefined }),
        JSON.stringify({ ...good, ttl: 'soon' }),
      ];
      const rig = await start(() => harness.mountScripted([READY, ...garbage, JSON.stringify(good), JSON.stringify(good)]));
      const { channel, messages, errors } = open(rig);
      await channel.subscribe({});
      await channel.connect();
      await vi.waitFor(() => expect(messages).toHaveLength(1), WAIT);
      await vi.waitFor(() => expect(errors.filter((e) => e.code === 'PROTOCOL_ERROR')).toHaveLength(garbage.length), WAIT);
      expect(messages[0]).toMatchObject({ registrationId: 'r1', message: { id: 'm-good', urgency: 'high', ttlSeconds: 60 } });
      expect(messages[0]?.message.payload).toEqual(new Uint8Array([1, 2, 3]));
    });

    it('detects a silent server with its watchdog and reconnects', async () => {
      const rig = await start(() => harness.mountScripted([READY]));
      const { channel, errors } = open(rig, createMemoryChannelState(), 100);
      await channel.subscribe({});
      await channel.connect();
      await vi.waitFor(() => expect(errors.map((e) => e.code)).toContain('TIMEOUT'), WAIT);
      await vi.waitFor(() => expect(rig.requests.filter((r) => r.includes('/set/')).length).toBeGreaterThanOrEqual(2), WAIT);
    });

    it('server heartbeats keep an idle stream open past the watchdog timeout', async () => {
      const rig = await start();
      const { channel, errors } = open(rig, createMemoryChannelState(), 3 * HEARTBEAT_MS);
      const { registrationId } = await channel.subscribe({});
      await channel.connect();
      await new Promise((resolve) => setTimeout(resolve, 8 * HEARTBEAT_MS));
      expect(errors).toEqual([]);
      expect(rig.hub.opens).toHaveLength(1);
      await rig.push(registrationId);
      expect(channel.state).toBe('connected');
    });
  });
}
