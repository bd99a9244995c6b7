import { type ManualClock, manualClock } from '@fosspush/core';
import { advanceWithIo, type DeviceWireRig, startDeviceWireRig } from '@fosspush/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createWebSocketDeviceServer, type WebSocketDeviceServerOptions } from '../src/index.js';

const WAIT = { timeout: 5_000, interval: 5 };
const INTERVAL_MS = 25_000;
/** Lets the I/O a timer started (a ping, a pong, a close) complete before time moves on. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

describe('WebSocket device server heartbeat (manual clock)', () => {
  const start = async (time: ManualClock, options: Partial<WebSocketDeviceServerOptions> = {}) => {
    const rig = await startDeviceWireRig((hub) => {
      const server = createWebSocketDeviceServer({ hub, heartbeatIntervalMs: INTERVAL_MS, runtime: { clock: time, timers: time.timers }, ...options });
      return { upgrade: server.handleUpgrade, close: server.close };
    });
    onTestFinished(() => rig.close());
    return rig;
  };

  /** A device on the stream: the pings it got and its first frame. */
  const device = async (rig: DeviceWireRig, query = '') => {
    const { setUrl } = await rig.subscribe();
    const ws = new WebSocket(`${setUrl.replace('http', 'ws')}/ws${query}`);
    const seen = { pings: 0, ready: undefined as Record<string, unknown> | undefined, closed: false, ws };
    ws.on('ping', () => seen.pings++);
    ws.on('message', (data) => {
      seen.ready ??= JSON.parse(data.toString()) as Record<string, unknown>;
    });
    ws.on('close', () => {
      seen.closed = true;
    });
    ws.on('error', () => undefined);
    onTestFinished(() => ws.terminate());
    await vi.waitFor(() => expect(seen.ready).toBeDefined(), WAIT);
    return seen;
  };

  it.each([1, 19, 20])('pings each of %i version 1 devices once per interval', async (count) => {
    const time = manualClock(1_700_000_000_000);
    const rig = await start(time);
    const devices: Array<Awaited<ReturnType<typeof device>>> = [];
    for (let i = 0; i < count; i++) devices.push(await device(rig));
    expect(devices[0]?.ready).toEqual({ type: 'ready', v: 1, heartbeatMs: INTERVAL_MS, maxAckIds: 50 });
    const intervals = 3;
    await advanceWithIo(time, intervals * INTERVAL_MS, settle);
    await vi.waitFor(() => expect(devices.reduce((sum, d) => sum + d.pings, 0)).toBeGreaterThanOrEqual(intervals * count), WAIT);
    await settle();
    expect(devices.map((d) => d.pings)).toEqual(devices.map(() => intervals));
    expect(devices.every((d) => !d.closed)).toBe(true);
  });

  it('sends version 2 devices no pings, answers theirs, and drops only those silent past the announced maximum', async () => {
    const time = manualClock(1_700_000_000_000);
    const rig = await start(time, { maxHeartbeatMs: 120_000 });
    const talker = await device(rig, '?v=2');
    const silent = await device(rig, '?v=2');
    expect(talker.ready).toEqual({ type: 'ready', v: 2, maxHeartbeatMs: 120_000, maxAckIds: 50 });
    let pongs = 0;
    talker.ws.on('pong', () => pongs++);

    // The talker pings at 100 s and 170 s; the silent one says nothing. The server's limit is
    // the announced 120 s plus a minute of grace.
    for (const [at, step] of [[100_000, 100_000], [170_000, 70_000]] as const) {
      await advanceWithIo(time, step, settle);
      talker.ws.ping();
      await vi.waitFor(() => expect(pongs).toBe(at === 100_000 ? 1 : 2), WAIT);
    }
    expect(silent.closed).toBe(false);
    // 210 s: past 180 s of silence, and the sweep has visited every device since.
    await advanceWithIo(time, 40_000, settle);
    await vi.waitFor(() => expect(silent.closed).toBe(true), WAIT);
    expect(talker.closed).toBe(false);
    expect(talker.pings + silent.pings).toBe(0);
  });
});
