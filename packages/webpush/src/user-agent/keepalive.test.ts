import { createMemoryChannelState, FosspushError, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { AdaptiveInterval, KEEPALIVE_DEFAULTS, loadAdaptiveInterval, saveAdaptiveInterval, StreamLiveness } from './keepalive.js';

const MINUTE = 60_000;

/**
 * An idle hour on a path whose NAT forgets a mapping after `natTimeoutMs` of quiet: the
 * heartbeats the device sends, counting a failed one and its reconnect as two.
 */
function idleHour(interval: AdaptiveInterval, natTimeoutMs: number) {
  let elapsed = 0;
  let wakeups = 0;
  while (elapsed < 60 * MINUTE) {
    const quietMs = interval.intervalMs;
    elapsed += quietMs;
    wakeups++;
    if (quietMs >= natTimeoutMs) {
      interval.failed(quietMs);
      wakeups++;
    } else {
      interval.succeeded(quietMs);
    }
  }
  return wakeups;
}

describe('AdaptiveInterval', () => {
  it('starts at 2 minutes, finds a 10-minute NAT within two hours, then wakes at most 8 times an hour', () => {
    const interval = new AdaptiveInterval(KEEPALIVE_DEFAULTS);
    expect(interval.intervalMs).toBe(2 * MINUTE);
    expect(idleHour(interval, 10 * MINUTE)).toBeLessThanOrEqual(30);
    expect(idleHour(interval, 10 * MINUTE)).toBeLessThanOrEqual(12);
    expect(interval.intervalMs).toBeLessThan(10 * MINUTE);
    expect(interval.intervalMs).toBeGreaterThanOrEqual(8 * MINUTE);
    for (let hour = 0; hour < 3; hour++) expect(idleHour(interval, 10 * MINUTE)).toBeLessThanOrEqual(8);
  });

  it('backs off when the network gets worse, and never below its floor', () => {
    const interval = new AdaptiveInterval(KEEPALIVE_DEFAULTS, { intervalMs: 9 * MINUTE, goodMs: 9 * MINUTE, ceilingMs: 10 * MINUTE });
    interval.failed(9 * MINUTE);
    expect(interval.intervalMs).toBeLessThan(9 * MINUTE);
    idleHour(interval, 3 * MINUTE);
    idleHour(interval, 3 * MINUTE);
    expect(interval.intervalMs).toBeLessThan(3 * MINUTE);
    expect(interval.intervalMs).toBeGreaterThanOrEqual(1.5 * MINUTE);
    for (let i = 0; i < 10; i++) interval.failed(interval.intervalMs);
    expect(interval.intervalMs).toBe(KEEPALIVE_DEFAULTS.minIntervalMs);
  });

  it('grows only on quiet periods as long as the interval, and stays within the server maximum', () => {
    const interval = new AdaptiveInterval(KEEPALIVE_DEFAULTS);
    for (let i = 0; i < 5; i++) expect(interval.succeeded(30_000)).toBe(false);
    expect(interval.intervalMs).toBe(2 * MINUTE);
    interval.capAt(5 * MINUTE);
    for (let i = 0; i < 10; i++) interval.succeeded(interval.intervalMs);
    expect(interval.intervalMs).toBe(5 * MINUTE);
  });

  it('probes past a settled ceiling again after a long run of survivals, in case the network changed', () => {
    const interval = new AdaptiveInterval(KEEPALIVE_DEFAULTS, { intervalMs: 9 * MINUTE, goodMs: 9 * MINUTE, ceilingMs: 10 * MINUTE });
    for (let i = 0; i < 2 * 48; i++) interval.succeeded(9 * MINUTE);
    expect(interval.intervalMs).toBeGreaterThan(9 * MINUTE);
  });

  it('remembers what it learned in the channel state, per account, across restarts', async () => {
    const state = createMemoryChannelState();
    const learned = await loadAdaptiveInterval(state, KEEPALIVE_DEFAULTS);
    idleHour(learned, 10 * MINUTE);
    await saveAdaptiveInterval(state, learned);
    const restarted = await loadAdaptiveInterval(state, KEEPALIVE_DEFAULTS);
    expect(restarted.snapshot).toEqual(learned.snapshot);
    expect(restarted.intervalMs).toBeGreaterThanOrEqual(8 * MINUTE);
    await state.set('keepalive', 'not json');
    expect((await loadAdaptiveInterval(state, KEEPALIVE_DEFAULTS)).intervalMs).toBe(KEEPALIVE_DEFAULTS.initialIntervalMs);
  });
});

describe('StreamLiveness', () => {
  const setup = (learned?: ConstructorParameters<typeof AdaptiveInterval>[1]) => {
    const time = manualClock(1_700_000_000_000);
    const interval = new AdaptiveInterval(KEEPALIVE_DEFAULTS, learned);
    const log = { pings: [] as number[], dead: [] as Array<{ at: number; error: FosspushError }>, renegotiated: 0, learned: 0 };
    const liveness = new StreamLiveness(interval, { ...KEEPALIVE_DEFAULTS, legacyTimeoutMs: 60_000 }, time, time.timers, {
      ping: () => log.pings.push(time.now()),
      dead: (error) => log.dead.push({ at: time.now(), error }),
      renegotiate: () => log.renegotiated++,
      learned: () => log.learned++,
    });
    return { time, interval, liveness, log, start: time.now() };
  };
  const readyV2 = { type: 'ready', version: 2, heartbeatMs: undefined, maxHeartbeatMs: 900_000, maxAckIds: 50 } as const;

  it('WebSocket: pings after one quiet interval, and calls a stream dead within the interval plus the answer timeout', async () => {
    const { time, liveness, log, start } = setup();
    liveness.ready(readyV2, true);
    time.advance(2 * MINUTE);
    expect(log.pings).toEqual([start + 2 * MINUTE]);
    liveness.heard();
    time.advance(2 * MINUTE);
    expect(log.pings).toHaveLength(2);
    // No answer: dead, at most one interval plus the answer timeout after the last thing heard.
    time.advance(KEEPALIVE_DEFAULTS.answerTimeoutMs);
    expect(log.dead).toHaveLength(1);
    expect(log.dead[0]?.at).toBe(start + 4 * MINUTE + KEEPALIVE_DEFAULTS.answerTimeoutMs);
    expect(log.dead[0]?.error.code).toBe('TIMEOUT');
  });

  it('WebSocket: traffic postpones the ping, so an active stream sends none', async () => {
    const { time, liveness, log } = setup();
    liveness.ready(readyV2, true);
    for (let i = 0; i < 10; i++) {
      time.advance(MINUTE);
      liveness.heard();
    }
    expect(log.pings).toEqual([]);
  });

  it('SSE: proves the asked cadence with each comment, and asks for a longer one once it has grown', async () => {
    const { time, liveness, log } = setup();
    liveness.ready({ ...readyV2, heartbeatMs: 2 * MINUTE }, false);
    time.advance(2 * MINUTE);
    liveness.heard();
    time.advance(2 * MINUTE);
    liveness.heard();
    expect(log.renegotiated).toBe(1);
    expect(liveness.askedHeartbeatMs).toBe(4 * MINUTE);
  });

  it('SSE: a cadence that goes unanswered is a failure to learn from', async () => {
    const { time, liveness, log, interval } = setup({ intervalMs: 8 * MINUTE, goodMs: 4 * MINUTE, ceilingMs: undefined });
    liveness.ready({ ...readyV2, heartbeatMs: 8 * MINUTE }, false);
    time.advance(8 * MINUTE + KEEPALIVE_DEFAULTS.answerTimeoutMs);
    expect(log.dead).toHaveLength(1);
    expect(interval.snapshot.ceilingMs).toBe(8 * MINUTE);
    expect(interval.intervalMs).toBe(4 * MINUTE);
    expect(log.learned).toBe(1);
  });

  it('version 1 servers: watches for their heartbeat, twice their interval at least', async () => {
    const { time, liveness, log } = setup();
    liveness.ready({ type: 'ready', version: 1, heartbeatMs: 40_000, maxHeartbeatMs: undefined, maxAckIds: 1 }, true);
    time.advance(79_000);
    expect(log.dead).toEqual([]);
    expect(log.pings).toEqual([]);
    time.advance(1_000);
    expect(log.dead).toHaveLength(1);
  });

  it('learns from a connection a NAT or proxy cut while quiet, not from a close the server chose', async () => {
    const cut = setup({ intervalMs: 8 * MINUTE, goodMs: 4 * MINUTE, ceilingMs: undefined });
    cut.liveness.ready(readyV2, true);
    cut.time.advance(5 * MINUTE);
    cut.liveness.lost(new FosspushError('UNAVAILABLE', 'the device stream failed', { details: { connectionLost: true } }));
    expect(cut.interval.snapshot.ceilingMs).toBe(5 * MINUTE);
    expect(cut.interval.intervalMs).toBe(4 * MINUTE);

    const closed = setup({ intervalMs: 8 * MINUTE, goodMs: 4 * MINUTE, ceilingMs: undefined });
    closed.liveness.ready(readyV2, true);
    closed.time.advance(5 * MINUTE);
    closed.liveness.lost(new FosspushError('UNAVAILABLE', 'the device stream closed (1001)', { details: { closeCode: 1001 } }));
    expect(closed.interval.snapshot.ceilingMs).toBeUndefined();
    expect(closed.interval.intervalMs).toBe(8 * MINUTE);
  });
});
