import { encodeToken, fromPushSubscription, generateVapidKeys, type VapidKeys } from '@fosspush/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import webpush from 'web-push';
import { getMessaging } from '../src/fcm/messaging.js';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import { toPushSubscription } from '../src/index.js';
import { startWebPushTesting, type WebPushTestingService } from './rigs/web-push-testing.js';

/**
 * Against an independent RFC 8030 implementation: if our RFC 8291 encryption or VAPID signature
 * were wrong, web-push-testing (http_ece, jsonwebtoken) would refuse the message with 400.
 */
describe('against web-push-testing', () => {
  let service: WebPushTestingService;
  let keys: VapidKeys;
  let sender: Sender;

  beforeAll(async () => {
    service = await startWebPushTesting();
    keys = await generateVapidKeys();
    sender = new Sender({ vapid: { keys, subject: 'mailto:ops@example.org' }, retries: 0 });
  });
  afterAll(async () => {
    await sender?.close();
    await service?.stop();
  });

  it('delivers to PushSubscriptions and fosspush tokens, and the messages decrypt', async () => {
    const subscriptions = await Promise.all([1, 2, 3].map(() => service.subscribe(keys.publicKey)));
    const [first, second, third] = subscriptions;
    if (!first || !second || !third) throw new Error('subscribe failed');
    const recipients = [
      { endpoint: first.endpoint, keys: first.keys },
      JSON.stringify({ endpoint: second.endpoint, keys: second.keys }),
      encodeToken({ ...fromPushSubscription(third), extras: {} }),
    ];
    const message = new Message({ data: { text: 'héllo ✓', n: '1' }, notification: { title: 'Hi' }, collapseKey: 'greeting', timeToLive: 60 });
    const response = await sender.send(message, recipients);
    expect(response.failure).toBe(0);
    expect(response.success).toBe(3);
    for (const subscription of subscriptions) {
      const received = await service.notifications(subscription.clientHash);
      expect(received.map((text) => JSON.parse(text))).toEqual([{ data: { text: 'héllo ✓', n: '1' }, notification: { title: 'Hi' } }]);
    }
  });

  it('sends through the firebase-admin shape too', async () => {
    const subscription = await service.subscribe(keys.publicKey);
    const messaging = getMessaging({ vapid: { keys, subject: 'mailto:ops@example.org' } });
    const id = await messaging.send({ token: { endpoint: subscription.endpoint, keys: subscription.keys }, data: { via: 'fcm' } });
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(await service.notifications(subscription.clientHash)).toEqual([JSON.stringify({ data: { via: 'fcm' } })]);
    await messaging.close();
  });

  it('reports NotRegistered once the subscription is gone, and sends nothing on a dry run', async () => {
    const subscription = await service.subscribe(keys.publicKey);
    const token = { endpoint: subscription.endpoint, keys: subscription.keys };
    expect((await sender.send(new Message({ dryRun: true }), token)).success).toBe(1);
    expect(await service.notifications(subscription.clientHash)).toEqual([]);
    await service.expire(subscription.clientHash);
    expect((await sender.send(new Message(), token, { retries: 3 })).results).toEqual([{ error: 'NotRegistered' }]);
  });

  it('toPushSubscription hands a fosspush token to the web-push library', async () => {
    const subscription = await service.subscribe(keys.publicKey);
    const token = encodeToken({ ...fromPushSubscription(subscription), extras: {} });
    // sendNotification speaks https only; its request builder plus fetch reaches plain http.
    const details = webpush.generateRequestDetails(toPushSubscription(token), 'from web-push', {
      vapidDetails: { subject: 'mailto:ops@example.org', publicKey: keys.publicKey, privateKey: keys.privateKey },
    });
    const headers = Object.fromEntries(Object.entries(details.headers).map(([name, value]) => [name, String(value)]));
    const response = await fetch(details.endpoint, { method: details.method, headers, body: details.body as unknown as RequestInit['body'] });
    expect(response.status).toBe(201);
    expect(await service.notifications(subscription.clientHash)).toEqual(['from web-push']);
  });

  it('is refused when the VAPID key is not the one the subscription was made for', async () => {
    const subscription = await service.subscribe((await generateVapidKeys()).publicKey);
    const response = await sender.send(new Message(), { endpoint: subscription.endpoint, keys: subscription.keys });
    expect(response.failure).toBe(1);
    expect(await service.notifications(subscription.clientHash)).toEqual([]);
  });
});
