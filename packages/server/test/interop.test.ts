// Interop with independent implementations: the `web-push` library sends (its request builder
// plus fetch, since sendNotification refuses plain http), our real WebSocket channel receives,
// and `http_ece` decrypts.
import { createECDH } from 'node:crypto';
import { fromBase64Url, generateSubscriptionKeys, type PushMessage } from '@fosspush/core';
import { createWebSocketChannel } from '@fosspush/websocket';
import * as ece from 'http_ece';
import webpush from 'web-push';
import { afterEach, expect, it, vi } from 'vitest';
import { type StartedServer, startServer } from './helpers.js';

let started: StartedServer | undefined;
afterEach(async () => {
  await started?.server.close();
});

async function send(requestDetails: ReturnType<typeof webpush.generateRequestDetails>): Promise<Response> {
  const headers = Object.fromEntries(
    Object.entries(requestDetails.headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([name, value]) => [name, String(value)]),
  );
  const body = requestDetails.body === null ? null : new Uint8Array(requestDetails.body);
  return fetch(requestDetails.endpoint, { method: requestDetails.method, headers, body });
}

it('takes a message from the web-push library, streams it to the device, and http_ece decrypts it', async () => {
  started = await startServer();
  const vapid = webpush.generateVAPIDKeys();
  const channel = createWebSocketChannel({ serverUrl: started.url });
  const received: { registrationId: string; message: PushMessage }[] = [];
  channel.on('message', (event) => {
    received.push(event);
    void channel.ack(event.registrationId, event.message.id);
  });
  await channel.connect();
  // Restricted to the sender's VAPID key (RFC 8292): web-push's own signature must pass.
  const { endpoint } = await channel.subscribe({ vapidPublicKey: vapid.publicKey });
  const keys = await generateSubscriptionKeys();
  const subscription = { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };

  const details = webpush.generateRequestDetails(subscription, 'Hello from web-push', {
    TTL: 120,
    urgency: 'high',
    topic: 'greeting',
    contentEncoding: 'aes128gcm',
    vapidDetails: { subject: 'mailto:ops@example.org', publicKey: vapid.publicKey, privateKey: vapid.privateKey },
  });
  const response = await send(details);
  expect(response.status).toBe(201);
  expect(response.headers.get('ttl')).toBe('120');

  await vi.waitFor(() => expect(received).toHaveLength(1));
  const message = received[0]?.message as PushMessage;
  expect(message).toMatchObject({ ttlSeconds: 120, urgency: 'high', topic: 'greeting' });

  const receiver = createECDH('prime256v1');
  receiver.setPrivateKey(Buffer.from(fromBase64Url(keys.privateKey)));
  const plaintext = ece.decrypt(Buffer.from(message.payload), { version: 'aes128gcm', privateKey: receiver, authSecret: keys.auth });
  expect(plaintext.toString('utf8')).toBe('Hello from web-push');

  // Without web-push's VAPID signature the restricted subscription refuses it.
  const unsigned = webpush.generateRequestDetails(subscription, 'anonymous', { TTL: 60, contentEncoding: 'aes128gcm' });
  delete (unsigned.headers as Record<string, unknown>)['Authorization'];
  expect((await send(unsigned)).status).toBe(401);
  await channel.close();
});
