import { type ChannelState, type ChannelStateStore, createMemoryChannelState, FosspushError, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { encodeReadyFrame } from '../device-wire/device-frames.js';
import { createDeviceStreamChannel, type DeviceStreamEvents, type DeviceStreamTransport } from './device-stream-channel.js';

const SET_URL = 'https://push.example/s/set1';

/**
 * A transport that records each stream it opens; the test plays the server through `events`.
 * `canPing`: it writes heartbeats, as WebSocket does (SSE cannot).
 */
function scriptedTransport(canPing = false) {
  const opened: Array<{ afterSeq: number | undefined; heartbeatMs: number; events: DeviceStreamEvents; closed: boolean; pings: number }> = [];
  const transport: DeviceStreamTransport = {
    kind: 'scripted',
    open(request, events) {
      const stream = { afterSeq: request.afterSeq, heartbeatMs: request.heartbeatMs, events, closed: false, pings: 0 };
      opened.push(stream);
      const connection = {
        ack: async () => true,
        close() {
          stream.closed = true;
        },
      };
      return canPing ? { ...connection, ping: () => void stream.pings++ } : connection;
    },
  };
  return { transport, opened };
}

/** A state store that already holds a set, and whose reads fail while `failingReads` > 0. */
async function flakyState(): Promise<ChannelStateStore & { failingReads: number }> {
  const inner = createMemoryChannelState();
  await inner.set('setUrl', SET_URL);
  await inner.set('subscriptions', '{}');
  const store = {
    failingReads: 0,
    async get(key: string) {
      if (store.failingReads > 0) {
        store.failingReads--;
        throw new Error('database is locked');
      }
      return inner.get(key);
    },
    set: inner.set,
    delete: inner.delete,
  };
  return store;
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('device stream channel on the shared lifecycle', () => {
  it('a failed load of its stored state is not kept: the next connect() reads again', async () => {
    const state = await flakyState();
    const { transport, opened } = scriptedTransport();
    const channel = createDeviceStreamChannel({ serverUrl: 'https://push.example/', state }, transport);
    state.failingReads = 1;
    await expect(channel.connect()).rejects.toMatchObject({ code: 'INTERNAL', message: 'database is locked' });
    expect(opened).toHaveLength(0);

    const connecting = channel.connect();
    await settle();
    opened[0]?.events.frame(encodeReadyFrame({ version: 1, heartbeatMs: 20_000 }));
    await connecting;
    expect(channel.state).toBe('connected');
    await channel.close();
  });

  it('resumes a dropped stream after the backoff on runtime.timers, and a stale stream is ignored', async () => {
    const clock = manualClock();
    const { transport, opened } = scriptedTransport();
    const channel = createDeviceStreamChannel(
      {
        serverUrl: 'https://push.example/',
        state: await flakyState(),
        reconnect: { initialDelayMs: 1_000, maxDelayMs: 8_000, resetAfterMs: 5_000 },
        runtime: { clock, timers: clock.timers, random: { bytes: () => Uint8Array.of(0x80, 0, 0, 0) } },
      },
      transport,
    );
    const states: ChannelState[] = [];
    channel.on('state', (state) => states.push(state));
    const connecting = channel.connect();
    await settle();
    opened[0]?.events.frame(encodeReadyFrame({ version: 1, heartbeatMs: 20_000 }));
    await connecting;

    opened[0]?.events.closed(new FosspushError('UNAVAILABLE', 'the stream ended'));
    expect(opened[0]?.closed).toBe(true);
    expect(channel.state).toBe('reconnecting');
    clock.advance(499);
    expect(opened).toHaveLength(1);
    clock.advance(1);
    expect(opened).toHaveLength(2);
    // The old stream's late reports change nothing.
    opened[0]?.events.closed(new FosspushError('UNAVAILABLE', 'late'));
    opened[0]?.events.frame(encodeReadyFrame({ version: 1, heartbeatMs: 20_000 }));
    expect(channel.state).toBe('reconnecting');
    opened[1]?.events.frame(encodeReadyFrame({ version: 1, heartbeatMs: 20_000 }));
    expect(channel.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    await channel.close();
    expect(opened[1]?.closed).toBe(true);
  });

  it('wire version 2 over a transport that writes: pings after the learned interval, and a missed answer drops the stream', async () => {
    const clock = manualClock();
    const { transport, opened } = scriptedTransport(true);
    const state = await flakyState();
    const channel = createDeviceStreamChannel({ serverUrl: 'https://push.example/', state, runtime: { clock, timers: clock.timers } }, transport);
    const connecting = channel.connect();
    await settle();
    opened[0]?.events.frame(encodeReadyFrame({ version: 2, maxHeartbeatMs: 900_000 }));
    await connecting;
    clock.advance(120_000);
    expect(opened[0]?.pings).toBe(1);
    opened[0]?.events.alive();
    clock.advance(120_000);
    opened[0]?.events.alive();
    // Two survivals at 2 min: the next heartbeat waits 4 min, and the channel stored that.
    clock.advance(239_000);
    expect(opened[0]?.pings).toBe(2);
    clock.advance(1_000);
    expect(opened[0]?.pings).toBe(3);
    await settle();
    expect(JSON.parse((await state.get('keepalive')) ?? '{}')).toMatchObject({ intervalMs: 240_000 });
    clock.advance(10_000);
    expect(channel.state).toBe('reconnecting');
    expect(opened[0]?.closed).toBe(true);
    await channel.close();
  });

  it('wire version 2 over SSE: a longer learned cadence reopens the stream at once, from the cursor, and the channel stays connected', async () => {
    const clock = manualClock();
    const { transport, opened } = scriptedTransport(false);
    const channel = createDeviceStreamChannel(
      { serverUrl: 'https://push.example/', state: await flakyState(), runtime: { clock, timers: clock.timers } },
      transport,
    );
    const states: ChannelState[] = [];
    channel.on('state', (state) => states.push(state));
    const connecting = channel.connect();
    await settle();
    expect(opened[0]?.heartbeatMs).toBe(120_000);
    opened[0]?.events.frame(encodeReadyFrame({ version: 2, heartbeatMs: 120_000, maxHeartbeatMs: 900_000 }));
    await connecting;
    for (let comment = 0; comment < 2; comment++) {
      clock.advance(120_000);
      opened[0]?.events.alive();
    }
    expect(opened[0]?.closed).toBe(true);
    expect(opened).toHaveLength(2);
    expect(opened[1]?.heartbeatMs).toBe(240_000);
    opened[1]?.events.frame(encodeReadyFrame({ version: 2, heartbeatMs: 240_000, maxHeartbeatMs: 900_000 }));
    expect(states).toEqual(['connecting', 'connected']);
    // A comment that does not come within the cadence plus the answer timeout: dead.
    clock.advance(250_000);
    expect(channel.state).toBe('reconnecting');
    await channel.close();
  });
});
