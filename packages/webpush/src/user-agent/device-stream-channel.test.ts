import { type ChannelState, type ChannelStateStore, createMemoryChannelState, FosspushError, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { encodeReadyFrame } from './device-frames.js';
import { createDeviceStreamChannel, type DeviceStreamEvents, type DeviceStreamTransport } from './device-stream-channel.js';

const SET_URL = 'https://push.example/s/set1';

/** A transport that records each stream it opens; the test plays the server through `events`. */
function scriptedTransport() {
  const opened: Array<{ afterSeq: number | undefined; events: DeviceStreamEvents; closed: boolean }> = [];
  const transport: DeviceStreamTransport = {
    kind: 'scripted',
    open(request, events) {
      const stream = { afterSeq: request.afterSeq, events, closed: false };
      opened.push(stream);
      return {
        ack: async () => true,
        close() {
          stream.closed = true;
        },
      };
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
    opened[0]?.events.frame(encodeReadyFrame(20_000));
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
    opened[0]?.events.frame(encodeReadyFrame(20_000));
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
    opened[0]?.events.frame(encodeReadyFrame(20_000));
    expect(channel.state).toBe('reconnecting');
    opened[1]?.events.frame(encodeReadyFrame(20_000));
    expect(channel.state).toBe('connected');
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    await channel.close();
    expect(opened[1]?.closed).toBe(true);
  });
});
