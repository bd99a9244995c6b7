import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSubscriptionKeys, type Store } from '@fosspush/core';
import { createRedisStore } from '@fosspush/store-redis';
import { createSqliteStore } from '@fosspush/store-sqlite';
import { type RedisRig, startRedis } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StorageOptions } from '../src/options.js';
import { connectDevice, push, type StartedServer, startServer } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-upgrade-'));
let redis: RedisRig;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const SET = 'AAAAAAAAAAAAAAAAAAAAAA';
const SUBSCRIPTION = 'BBBBBBBBBBBBBBBBBBBBBB';
const UNSUBSCRIBED = 'CCCCCCCCCCCCCCCCCCCCCC';
const DAY = 86_400_000;

/** What a push server before store records wrote for one set with one subscription and one unsubscribe. */
async function writeLegacyRows(store: Store): Promise<void> {
  const now = Date.now();
  await store.putRegistration({ id: `set:${SET}`, owner: 'sets', createdAt: now, expiresAt: now + 30 * DAY, data: { kind: 'set', address: '127.0.0.1', seen: '1' } });
  await store.putRegistration({ id: `a:${SET}`, owner: 'sets@127.0.0.1', createdAt: now, expiresAt: now + 30 * DAY, data: {} });
  await store.putRegistration({ id: SUBSCRIPTION, owner: SET, createdAt: now, data: {} });
  await store.putRegistration({ id: UNSUBSCRIBED, owner: 'unsubscribed', createdAt: now, expiresAt: now + DAY, data: { gone: 'unsubscribed' } });
  await store.close();
}

describe('a push server upgraded from the version that kept sets and tombstones as registrations', () => {
  const cases: { name: string; prepare(): Promise<StorageOptions> }[] = [
    {
      name: 'sqlite',
      async prepare() {
        const path = join(dir, 'server.db');
        await writeLegacyRows(createSqliteStore({ path }));
        return { kind: 'sqlite', path };
      },
    },
    {
      name: 'redis',
      async prepare() {
        await writeLegacyRows(createRedisStore({ url: redis.url, keyPrefix: 'upgrade:' }));
        return { kind: 'redis', url: redis.url, keyPrefix: 'upgrade:' };
      },
    },
  ];

  for (const { name, prepare } of cases) {
    it(`keeps the set, its subscription and the 410 (${name})`, async () => {
      let started: StartedServer | undefined;
      try {
        started = await startServer({ storage: await prepare() });
        const base = started.url;
        const device = await connectDevice(`${base}/set/${SET}`);
        const keys = await generateSubscriptionKeys();
        expect((await push({ push: `${base}/p/${SUBSCRIPTION}`, keys }, 'after the upgrade')).status).toBe(201);
        await vi.waitFor(() => expect(device.messages.map((m) => m.sub)).toEqual([SUBSCRIPTION]), { timeout: 5000 });
        await device.close();
        const gone = await push({ push: `${base}/p/${UNSUBSCRIBED}`, keys }, 'to the unsubscribed one');
        expect(gone.status).toBe(410);
        // The moved set counts as one set, and no internal row counts as a subscription.
        const metrics = await (await fetch(`${base}/metrics`)).text();
        expect(metrics).toMatch(/^fosspush_subscription_sets 1$/m);
        expect(metrics).toMatch(/^fosspush_subscriptions 1$/m);
      } finally {
        await started?.server.close();
      }
    });
  }
});
