import { type ManualClock, manualClock } from '@fosspush/core';
import { advanceWithIo, startDeviceWireRig } from '@fosspush/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createSseDeviceHandler } from '../src/index.js';

const WAIT = { timeout: 5_000, interval: 5 };
const INTERVAL_MS = 25_000;

describe('SSE comment heartbeat (manual clock)', () => {
  const start = async (time: ManualClock) => {
    const rig = await startDeviceWireRig((hub) => {
      const handler = createSseDeviceHandler({ hub, heartbeatIntervalMs: INTERVAL_MS, runtime: { clock: time, timers: time.timers } });
      return { events: handler.handle, close: handler.close };
    });
    onTestFinished(() => rig.close());
    return rig;
  };

  /**
   * Reads a stream and notes the manual-clock time each comment arrived at. Each timer is
   * followed by a settle that waits for the bytes it wrote, so arrival time is write time.
   */
  const watch = async (time: ManualClock, url: string) => {
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    const response = await fetch(url, { signal: controller.signal });
    const seen = { text: '', commentTimes: [] as number[], chunks: 0 };
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          const text = decoder.decode(chunk);
          seen.chunks++;
          seen.text += text;
          for (const _ of text.matchAll(/^:\n\n/gm)) seen.commentTimes.push(time.now());
        }
      } catch {
        // aborted at the end of the test
      }
    })();
    await vi.waitFor(() => expect(seen.text).toContain('"type":"ready"'), WAIT);
    const ready = JSON.parse(/data: (.*)\n/.exec(seen.text)?.[1] ?? '{}') as Record<string, unknown>;
    const startedAt = time.now();
    const gaps = () => seen.commentTimes.map((at, i) => at - (i === 0 ? startedAt : (seen.commentTimes[i - 1] as number)));
    return { seen, ready, gaps };
  };

  const settleWrites = (seen: { chunks: number }) => async () => {
    const before = seen.chunks;
    await new Promise((resolve) => setTimeout(resolve, 1));
    if (seen.chunks === before) await new Promise((resolve) => setImmediate(resolve));
  };

  it('writes a comment on an idle version 1 stream every interval, never later (it used to skip every other check)', async () => {
    const time = manualClock(1_700_000_000_000);
    const rig = await start(time);
    const { setUrl } = await rig.subscribe();
    // Devices connect at any moment, not in step with the server's timer.
    await advanceWithIo(time, 10_000);
    const stream = await watch(time, `${setUrl}/events`);
    expect(stream.ready).toEqual({ type: 'ready', v: 1, heartbeatMs: INTERVAL_MS });
    await advanceWithIo(time, 4 * INTERVAL_MS + 1_000, settleWrites(stream.seen));
    await vi.waitFor(() => expect(stream.seen.commentTimes).toHaveLength(4), WAIT);
    for (const gap of stream.gaps()) {
      expect(gap).toBeLessThanOrEqual(INTERVAL_MS);
      expect(gap).toBeGreaterThanOrEqual(0.9 * INTERVAL_MS);
    }
  });

  it('writes comments at the cadence a version 2 device asks for, kept within the server limits', async () => {
    const time = manualClock(1_700_000_000_000);
    const rig = await start(time);
    const { setUrl } = await rig.subscribe();
    const asked = await watch(time, `${setUrl}/events?v=2&heartbeat=240000`);
    const tooShort = await watch(time, `${setUrl}/events?v=2&heartbeat=1000`);
    expect(asked.ready).toEqual({ type: 'ready', v: 2, heartbeatMs: 240_000, maxHeartbeatMs: 900_000 });
    expect(tooShort.ready).toMatchObject({ v: 2, heartbeatMs: 15_000 });
    await advanceWithIo(time, 3 * 240_000 + 1_000, settleWrites(asked.seen));
    await vi.waitFor(() => expect(asked.seen.commentTimes).toHaveLength(3), WAIT);
    for (const gap of asked.gaps()) expect(gap).toBeGreaterThanOrEqual(0.95 * 240_000);
    for (const gap of asked.gaps()) expect(gap).toBeLessThanOrEqual(240_000);
    for (const gap of tooShort.gaps()) expect(gap).toBeLessThanOrEqual(15_000);
    expect(tooShort.seen.commentTimes.length).toBeGreaterThanOrEqual(48);
  });

  it('refuses a malformed heartbeat with 400', async () => {
    const time = manualClock(1_700_000_000_000);
    const rig = await start(time);
    const { setUrl } = await rig.subscribe();
    const response = await fetch(`${setUrl}/events?v=2&heartbeat=soon`);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
