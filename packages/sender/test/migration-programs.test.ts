import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Channel,
  type ChannelMessageEvent,
  decryptWebPush,
  generateVapidKeys,
  type SubscriptionKeys,
  utf8Decode,
  type VapidKeys,
} from '@fosspush/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getMessaging } from '../src/fcm/messaging.js';
import { Constants } from '../src/gcm/constants.js';
import { Sender } from '../src/gcm/sender.js';
import { runApp } from './programs/fosspush-firebase-admin-app.js';
import { runGcmApp } from './programs/fosspush-node-gcm-app.js';
import { connectDevice, type DeviceRig } from './rigs/device.js';
import { type PushServerProcess, startPushServer } from './rigs/push-server.js';

const programs = new URL('./programs/', import.meta.url);
const withoutImports = (name: string) =>
  readFileSync(new URL(name, programs), 'utf8')
    .split('\n')
    .filter((line) => !/^import .* from '(firebase-admin\/messaging|node-gcm|@fosspush\/sender)';$/.test(line));

describe('migration programs: only the import differs', () => {
  it.each([
    ['firebase-admin-app.ts', 'fosspush-firebase-admin-app.ts'],
    ['node-gcm-app.ts', 'fosspush-node-gcm-app.ts'],
  ])('%s and %s are the same program', (original, swapped) => {
    expect(withoutImports(swapped)).toEqual(withoutImports(original));
    expect(readFileSync(new URL(swapped, programs), 'utf8')).toContain("from '@fosspush/sender';");
  });

  it("exports node-gcm's Constants with node-gcm's values", () => {
    const nodeGcm = createRequire(import.meta.url)('node-gcm') as { Constants: Record<string, unknown> };
    expect({ ...Constants }).toEqual({ ...nodeGcm.Constants });
  });
});

/**
 * The two programs, import swapped, against a real fosspush-server, a device on its
 * WebSocket wire decrypting what arrives, and topic membership in SQLite.
 */
describe('migration programs against a real push server', () => {
  let server: PushServerProcess;
  let device: Channel;
  let vapidKeys: VapidKeys;
  const dir = mkdtempSync(join(tmpdir(), 'fosspush-migration-'));
  let received: ChannelMessageEvent[] = [];
  let rig: DeviceRig;

  const register = () => rig.register(vapidKeys);

  async function plaintexts(registration: { registrationId: string; keys: SubscriptionKeys }, count: number) {
    await vi.waitFor(() => expect(received.filter((event) => event.registrationId === registration.registrationId)).toHaveLength(count), { timeout: 10_000 });
    const events = received.filter((event) => event.registrationId === registration.registrationId);
    return Promise.all(
      events.map(async (event) => ({ event, body: JSON.parse(utf8Decode(await decryptWebPush(event.message.payload, registration.keys))) })),
    );
  }

  beforeAll(async () => {
    server = await startPushServer();
    vapidKeys = await generateVapidKeys();
    rig = await connectDevice(server.url);
    device = rig.device;
    received = rig.received;
  }, 30_000);
  afterAll(async () => {
    await device?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the firebase-admin program, then the node-gcm one on the same membership', async () => {
    const options = { vapid: { keys: vapidKeys, subject: 'mailto:ops@example.org' }, topics: { kind: 'sqlite' as const, path: join(dir, 'topics.sqlite') } };
    const [first, second] = await Promise.all([register(), register()]);
    if (!first || !second) throw new Error('no registrations');

    const messaging = getMessaging(options);
    const run = await runApp(messaging, [first.token, second.token]);
    await messaging.close();
    expect(run.subscribed).toEqual({ successCount: 2, failureCount: 0, errors: [] });
    expect(run.multicast.successCount).toBe(2);
    expect(run.unsubscribed).toMatchObject({ successCount: 1, failureCount: 0 });
    expect(run.topicMessageId).toMatch(/^projects\/fosspush\/messages\//);
    // The first token is in news and sport: topic, condition and multicast; the second only
    // in news: topic and multicast.
    const firstBodies = await plaintexts(first, 3);
    expect(firstBodies.map(({ body }) => body.data.kind).sort()).toEqual(['condition', 'multicast', 'topic']);
    const secondBodies = await plaintexts(second, 2);
    expect(secondBodies.map(({ body }) => body.data.kind).sort()).toEqual(['multicast', 'topic']);
    const topic = firstBodies.find(({ body }) => body.data.kind === 'topic');
    expect(topic?.body.notification).toMatchObject({ title: 'Breaking', notificationCount: '3', requireInteraction: 'true', link: 'https://example.org/a' });
    expect(topic?.event.message).toMatchObject({ urgency: 'high', ttlSeconds: 600 });
    // The Topic header is the key's hash; the app gets the key itself.
    expect(topic?.event.message.topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(topic?.body.collapseKey).toBe('breaking news, europe');

    const sender = new Sender(options);
    const gcmRun = await runGcmApp(sender, [first.token, second.token]);
    await sender.close();
    expect(gcmRun.topic).toEqual({ message_id: expect.any(Number) });
    expect(gcmRun.to).toEqual({ message_id: expect.any(Number) });
    expect(gcmRun.condition).toEqual({ message_id: expect.any(Number) });
    expect(gcmRun.tokens).toMatchObject({ success: 2, failure: 0, canonical_ids: 0 });
    // After the unsubscribe only the first token is in news: topic, to and condition reach it alone.
    expect((await plaintexts(first, 7)).slice(3).map(({ body }) => body.data.kind).sort()).toEqual(['condition', 'to', 'tokens', 'topic']);
    expect((await plaintexts(second, 3)).slice(2).map(({ body }) => body.data.kind)).toEqual(['tokens']);
  });
});
