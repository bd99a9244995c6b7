import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBroker, createMemoryStore, manualClock } from '@fosspush/core';
import { type RedisRig, startRedis } from '@fosspush/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StorageOptions } from '../src/index.js';
import { connectDevice, push, type StartedServer, startServer, subscribe, type TestDevice } from './helpers.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;
const dir = mkdtempSync(join(tmpdir(), 'fosspush-set-expiry-'));
let redis: RedisRig;
let started: StartedServer | undefined;
let clock: ReturnType<typeof manualClock>;
beforeAll(async () => {
  redis = await startRedis();
}, 30_000);
afterEach(async () => {
  await started?.server.close();
  started = undefined;
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const storages: [string, () => StorageOptions][] = [
  ['memory', () => ({ kind: 'memory' })],
  ['sqlite', () => ({ kind: 'sqlite', path: join(dir, `${Math.random().toString(36).slice(2)}.db`) })],
  ['redis', () => ({ kind: 'redis', url: redis.url, keyPrefix: `expiry-${Math.random().toString(36).slice(2)}:` })],
];

/** A server on a manual clock whose sweep runs every 20 ms of real time. */
async function serve(storage: StorageOptions, options: { maxSetsPerAddress?: number } = {}): Promise<string> {
  clock = manualClock(1_700_000_000_000);
  started = await startServer({
    storage,
    runtime: { clock },
    purgeIntervalMs: 20,
    pendingSetTtlMs: HOUR,
    idleSetTtlMs: 30 * DAY,
    registrationCacheMs: 0,
    ...options,
  });
  return started.url;
}

/**
 * Closes a device and waits until the server has closed its stream too: a stream still open
 * when the clock jumps is a connected device, and the sweep rightly renews its set.
 */
async function disconnect(device: TestDevice, base: string): Promise<void> {
  await device.close();
  await vi.waitFor(async () => expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^fosspush_device_connections 0$/m), { timeout: 5000 });
}

/** Moves the clock and waits for a sweep that ran after the move. */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe.each(storages)('subscription sets expire and are reclaimed (%s)', (_name, storage) => {
  it('reclaims a set no device ever connected to: its push resources answer 410', async () => {
    const base = await serve(storage());
    const abandoned = await subscribe(base);
    expect((await push(abandoned, 'before')).status).toBe(201);
    await advance(HOUR - 60_000);
    expect((await push(abandoned, 'still pending')).status).toBe(201);
    await advance(2 * 60_000);
    await vi.waitFor(async () => expect((await push(abandoned, 'after')).status).toBe(410), { timeout: 5000 });
    const gone = await push(abandoned, 'after');
    expect(await gone.json()).toMatchObject({ code: 'GONE', details: { reason: 'reclaimed' } });
    await expect(connectDevice(abandoned.set)).rejects.toThrow(/404/);
  }, 20_000);

  it('keeps a set a device connected to past the pending time, and reclaims it once unseen for the idle time', async () => {
    const base = await serve(storage());
    const sub = await subscribe(base);
    await disconnect(await connectDevice(sub.set, { autoAck: true }), base);
    await advance(2 * HOUR);
    expect((await push(sub, 'seen recently')).status).toBe(201);
    // Connecting again renews the deadline: 30 days from the last connection, not the first.
    await advance(20 * DAY);
    await disconnect(await connectDevice(sub.set, { autoAck: true }), base);
    await advance(29 * DAY);
    expect((await push(sub, 'unseen 29 days')).status).toBe(201);
    await advance(2 * DAY);
    await vi.waitFor(async () => expect((await push(sub, 'unseen 31 days')).status).toBe(410), { timeout: 5000 });
  }, 20_000);

  it('caps the live sets one address may make, counts them in /metrics, and frees the cap as sets expire', async () => {
    const base = await serve(storage(), { maxSetsPerAddress: 2 });
    const first = await subscribe(base);
    await subscribe(base, { set: first.set });
    await subscribe(base);
    await expect(subscribe(base)).rejects.toThrow(/403/);
    // Adding to an existing set is not a new set, and another address has its own count.
    await subscribe(base, { set: first.set });
    expect(await subscribeFrom(base, '127.0.0.2')).toBe(201);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^fosspush_subscription_sets 3$/m);
    expect(metrics).toMatch(/^fosspush_subscriptions 5$/m);
    await advance(HOUR + 60_000);
    await vi.waitFor(async () => expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^fosspush_subscription_sets 0$/m), { timeout: 5000 });
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^fosspush_sets_reclaimed_total 3$/m);
    await subscribe(base);
  }, 20_000);
});

describe('a sweep the clock overtakes', () => {
  it('never purges a set marker its reclaim did not see, so the set still goes with 410s', async () => {
    // The clock jumps past the set's deadline while the sweep's reclaim reads the store (a slow
    // store, a clock step): the purge that follows must not forget the set unreclaimed.
    // The store reads the clock serve() sets up.
    const store = createMemoryStore({ runtime: { clock: { now: () => clock.now() } } });
    let jumpDuringReclaim = 0;
    const slowStore = new Proxy(store, {
      get(target, name) {
        const value = Reflect.get(target, name);
        if (name !== 'listExpiringRecords' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return async (...args: unknown[]) => {
          const due = await value.apply(target, args);
          if (jumpDuringReclaim > 0) clock.advance(jumpDuringReclaim);
          jumpDuringReclaim = 0;
          return due;
        };
      },
    });
    const base = await serve({ kind: 'custom', store: slowStore, broker: createMemoryBroker() });
    const abandoned = await subscribe(base);
    await advance(HOUR - 60_000);
    jumpDuringReclaim = 2 * 60_000;
    await vi.waitFor(() => expect(jumpDuringReclaim).toBe(0), { timeout: 5000 });
    await vi.waitFor(async () => expect((await push(abandoned, 'after')).status).toBe(410), { timeout: 5000 });
  }, 20_000);
});

function subscribeFrom(base: string, localAddress: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/subscribe`, { method: 'POST', localAddress }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}
