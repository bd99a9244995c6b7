import { createPushMessage, isFosspushError, manualClock } from '@fosspush/core';
import { describeBrokerConformance, describeStoreConformance, type RedisRig, startRedis } from '@fosspush/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisBroker } from './redis-broker.js';
import { createRedisStore } from './redis-store.js';

let redis: RedisRig;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

// Each store gets its own key prefix: tests share one redis-server but never each other's keys.
let prefixCounter = 0;
const freshPrefix = () => `test${prefixCounter++}:`;

describeStoreConformance('redis', { create: (clock) => createRedisStore({ url: redis.url, keyPrefix: freshPrefix(), runtime: { clock } }) });

describeBrokerConformance('redis', async () => {
  const keyPrefix = freshPrefix();
  return [createRedisBroker({ url: redis.url, keyPrefix }), createRedisBroker({ url: redis.url, keyPrefix })];
});

describe('redis store across nodes', () => {
  it('keeps topic replacement and seqs atomic when many nodes enqueue at once', async () => {
    const keyPrefix = freshPrefix();
    const nodes = Array.from({ length: 4 }, () => createRedisStore({ url: redis.url, keyPrefix }));
    const [first] = nodes;
    await first?.putRegistration({ id: 'r', owner: 'device', createdAt: 1, data: {} });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        nodes[i % nodes.length]?.enqueue('r', createPushMessage({ payload: new Uint8Array([i & 0xff]), ttlSeconds: 600, ...(i % 2 ? { topic: 'score' } : {}) })),
      ),
    );
    const seqs = results.map((r) => r?.message.seq);
    expect(new Set(seqs).size).toBe(200);
    const queued = (await first?.listMessages({ owner: 'device', limit: 1000 })) ?? [];
    // Every untopiced message stays; exactly one "score" message survives the replacements.
    expect(queued.filter((m) => m.topic === 'score')).toHaveLength(1);
    expect(queued.filter((m) => m.topic === undefined)).toHaveLength(100);
    await Promise.all(nodes.map((node) => node.close()));
  });

  it('shares registrations and messages between two store instances', async () => {
    const keyPrefix = freshPrefix();
    const a = createRedisStore({ url: redis.url, keyPrefix });
    const b = createRedisStore({ url: redis.url, keyPrefix });
    await a.putRegistration({ id: 'r', owner: 'device', createdAt: 1, data: { vapid: 'k' } });
    const { message } = await b.enqueue('r', createPushMessage({ payload: new Uint8Array([1, 2]), ttlSeconds: 60 }));
    expect(await a.getMessage(message.id)).toEqual(message);
    expect(await b.ack(message.id)).toBe(true);
    expect(await a.ack(message.id)).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it('answers UNAVAILABLE, not a hang, when Redis is unreachable', async () => {
    const store = createRedisStore({ url: 'redis://127.0.0.1:1', redisOptions: { maxRetriesPerRequest: 0, retryStrategy: () => null } });
    await expect(store.getRegistration('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await store.close();
  });

  it('pings while Redis answers, and rejects the ping with UNAVAILABLE once it is stopped', async () => {
    await using own = await startRedis();
    const store = createRedisStore({ url: own.url, keyPrefix: freshPrefix() });
    await store.ping();
    await own.stop();
    await expect(store.ping()).rejects.toSatisfy((e) => isFosspushError(e, 'UNAVAILABLE'));
    await store.close();
  });

  it('keeps records under its key prefix: another prefix on the same Redis sees none of them', async () => {
    const a = createRedisStore({ url: redis.url, keyPrefix: freshPrefix(), runtime: { clock: manualClock(0) } });
    // b's clock is past the record's expiry: its purge must still leave a's keys alone.
    const b = createRedisStore({ url: redis.url, keyPrefix: freshPrefix(), runtime: { clock: manualClock(5000) } });
    await a.putRecord('sets', { id: 's', value: { address: 'x' }, expiresAt: 1000 });
    expect(await b.getRecord('sets', 's')).toBeUndefined();
    expect(await b.countRecords('sets')).toBe(0);
    expect(await b.listExpiringRecords('sets', 5000, 10)).toEqual([]);
    await b.purgeExpired();
    expect(await a.countRecords('sets')).toBe(1);
    expect(await a.listExpiringRecords('sets', 1000, 10)).toEqual([{ id: 's', value: { address: 'x' }, expiresAt: 1000 }]);
    await Promise.all([a.close(), b.close()]);
  });

  it('leaves a client it was given open', async () => {
    const client = new Redis(redis.url);
    const store = createRedisStore({ client, keyPrefix: freshPrefix() });
    await store.close();
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });
});
