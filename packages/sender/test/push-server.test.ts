import {
  type Channel,
  type ChannelMessageEvent,
  decodeToken,
  decryptWebPush,
  generateVapidKeys,
  utf8Decode,
  type VapidKeys,
} from '@fosspush/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getMessaging } from '../src/fcm/messaging.js';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import { connectDevice, type DeviceRig } from './rigs/device.js';
import { type PushServerProcess, startPushServer } from './rigs/push-server.js';

/**
 * Our push server as a real process (`fosspush-server --listen 127.0.0.1:0 --memory`), and a
 * device on its WebSocket wire that decrypts what arrives.
 */
describe('against our push server', () => {
  let server: PushServerProcess;
  let device: Channel;
  let vapidKeys: VapidKeys;
  let sender: Sender;
  let received: ChannelMessageEvent[] = [];
  let rig: DeviceRig;

  const register = () => rig.register(vapidKeys);

  async function arrivals(registrationId: string, count: number): Promise<ChannelMessageEvent[]> {
    await vi.waitFor(() => expect(received.filter((event) => event.registrationId === registrationId)).toHaveLength(count), { timeout: 5000 });
    return received.filter((event) => event.registrationId === registrationId);
  }

  beforeAll(async () => {
    server = await startPushServer();
    vapidKeys = await generateVapidKeys();
    sender = new Sender({ vapid: { keys: vapidKeys, subject: 'mailto:ops@example.org' }, backoffMs: 10 });
    rig = await connectDevice(server.url);
    device = rig.device;
    received = rig.received;
  }, 30_000);
  afterAll(async () => {
    await device?.close();
    await sender?.close();
    await server?.stop();
  });

  it('delivers node-gcm sends that the device decrypts, with Topic, Urgency and TTL', async () => {
    const registrations = await Promise.all([register(), register()]);
    const message = new Message({ data: { kind: 'mail', n: '1' }, notification: { title: 'New mail' }, collapseKey: 'inbox', priority: 'high', timeToLive: 600 });
    const response = await sender.send(message, { registrationTokens: registrations.map((r) => r.token) });
    expect(response.success).toBe(2);
    for (const [index, registration] of registrations.entries()) {
      const [event] = await arrivals(registration.registrationId, 1);
      if (!event) throw new Error('nothing arrived');
      expect(JSON.parse(utf8Decode(await decryptWebPush(event.message.payload, registration.keys)))).toEqual({
        data: { kind: 'mail', n: '1' },
        notification: { title: 'New mail' },
      });
      expect(event.message).toMatchObject({ topic: 'inbox', urgency: 'high', ttlSeconds: 600 });
      // The message id is the one the server named in Location.
      expect(response.results[index]).toEqual({ message_id: event.message.id });
    }
  });

  it('delivers firebase-admin sends, a plain PushSubscription included', async () => {
    const registration = await register();
    const messaging = getMessaging({ vapid: { keys: vapidKeys, subject: 'mailto:ops@example.org' } });
    const subscription = { endpoint: decodeToken(registration.token).endpoint, keys: { p256dh: registration.keys.p256dh, auth: registration.keys.auth } };
    const batch = await messaging.sendEachForMulticast({ tokens: [registration.token, subscription], data: { via: 'fcm' } });
    expect(batch.successCount).toBe(2);
    const events = await arrivals(registration.registrationId, 2);
    for (const event of events) {
      expect(JSON.parse(utf8Decode(await decryptWebPush(event.message.payload, registration.keys)))).toEqual({ data: { via: 'fcm' } });
    }
    await messaging.close();
  });

  it('reports NotRegistered once the subscription is gone, without retrying', async () => {
    const registration = await register();
    expect((await sender.send(new Message(), registration.token)).success).toBe(1);
    await arrivals(registration.registrationId, 1);
    await device.unsubscribe(registration.registrationId);
    const response = await sender.send(new Message(), [registration.token, registration.token], { retries: 5 });
    expect(response.results).toEqual([{ error: 'NotRegistered' }, { error: 'NotRegistered' }]);
    expect(response.failure).toBe(2);
  });

  it('refuses pushes signed with another VAPID key as MismatchSenderId', async () => {
    const registration = await register();
    const stranger = new Sender({ vapid: { keys: await generateVapidKeys(), subject: 'mailto:x@example.org' }, retries: 0 });
    const response = await stranger.send(new Message(), registration.token);
    // 403: the subscription is restricted to the other key (RFC 8292 section 4.2).
    expect(response.results).toEqual([{ error: 'MismatchSenderId' }]);
    await stranger.close();
  });
});
