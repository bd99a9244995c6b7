import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisRig, startRedis } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMessaging } from '../src/fcm/messaging.js';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import type { TopicStoreOption } from '../src/topics/store.js';
import { fakeToken, fakeTransport } from './fake-transport.js';

const sentTo = (transport: ReturnType<typeof fakeTransport>) => transport.calls.map((call) => Number(call.token.endpoint.split('/').pop())).sort();

/**
 * Membership on the real drivers: one app-server node subscribes, another (its own client and
 * its own connection to the same store) sends, as two nodes behind a load balancer would.
 */
function sharedMembership(name: string, option: () => TopicStoreOption) {
  describe(`topics on ${name}`, () => {
    it('one node subscribes, another sends; NotRegistered tokens leave every topic for both', async () => {
      const transport = fakeTransport((call) => (call.token.endpoint.endsWith('/3') ? { code: 'GONE' } : 'ok'));
      const first = getMessaging({ transports: { webpush: transport }, topics: option() });
      const second = new Sender({ transports: { webpush: transport }, topics: option() });
      try {
        expect(await first.subscribeToTopic([fakeToken(1), fakeToken(2), fakeToken(3)], 'weather')).toMatchObject({ successCount: 3 });
        expect(await first.subscribeToTopic([fakeToken(2), fakeToken(3)], 'alerts')).toMatchObject({ successCount: 2 });
        expect(await second.send(new Message({ data: { t: '1' } }), { condition: "'weather' in topics && 'alerts' in topics" })).toHaveProperty('message_id');
        expect(sentTo(transport)).toEqual([2, 3]);
        transport.calls.length = 0;
        await first.send({ condition: "'weather' in topics || 'alerts' in topics", data: { t: '2' } });
        expect(sentTo(transport)).toEqual([1, 2]);
      } finally {
        await first.close();
        await second.close();
      }
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'fosspush-topics-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
sharedMembership('SQLite', () => ({ kind: 'sqlite', path: join(dir, 'topics.sqlite') }));

let redis: RedisRig;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
sharedMembership('Redis', () => ({ kind: 'redis', url: redis.url, keyPrefix: 'topics-test:' }));

describe('SQLite membership outlives the process that wrote it', () => {
  it('is there after a reopen', async () => {
    const path = join(dir, 'reopen.sqlite');
    const writer = getMessaging({ topics: { kind: 'sqlite', path } });
    await writer.subscribeToTopic([fakeToken(7)], 'news');
    await writer.close();
    const transport = fakeTransport();
    const reader = getMessaging({ transports: { webpush: transport }, topics: { kind: 'sqlite', path } });
    await reader.send({ topic: 'news' });
    await reader.close();
    expect(sentTo(transport)).toEqual([7]);
  });
});
