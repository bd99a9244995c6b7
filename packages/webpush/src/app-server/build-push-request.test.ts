import {
  createVapidSigner,
  decryptWebPush,
  encodeToken,
  generateSubscriptionKeys,
  generateVapidKeys,
  isFosspushError,
  MAX_WEB_PUSH_PLAINTEXT_BYTES,
  utf8Decode,
  verifyVapid,
} from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { parsePushRequest } from '../service/push-request.js';
import { buildPushRequest } from './build-push-request.js';

const endpoint = 'https://push.example.net/p/abc';

describe('buildPushRequest', () => {
  it('encrypts to the token keys and signs with VAPID; the service side accepts what it builds', async () => {
    const keys = await generateSubscriptionKeys();
    const vapid = await generateVapidKeys();
    const token = encodeToken({ channel: 'webpush', endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: {} });
    const request = await buildPushRequest(token, 'hello', {
      vapid: createVapidSigner({ keys: vapid, subject: 'mailto:ops@example.org' }),
      ttlSeconds: 3600,
      urgency: 'high',
      topic: 'inbox',
    });
    expect(request).toMatchObject({ url: endpoint, method: 'POST' });
    expect(request.headers).toMatchObject({ ttl: '3600', urgency: 'high', topic: 'inbox', 'content-encoding': 'aes128gcm' });
    expect(utf8Decode(await decryptWebPush(request.body, keys))).toBe('hello');
    const verified = await verifyVapid(request.headers['authorization'], { audience: endpoint, expectedPublicKey: vapid.publicKey });
    expect(verified.publicKey).toBe(vapid.publicKey);
    expect(parsePushRequest({ method: request.method, headers: request.headers, body: request.body })).toMatchObject({
      ttlSeconds: 3600,
      urgency: 'high',
      topic: 'inbox',
    });
  });

  it('takes a W3C PushSubscription and sends an empty push without encoding headers', async () => {
    const keys = await generateSubscriptionKeys();
    const request = await buildPushRequest({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }, undefined);
    expect(request.body).toHaveLength(0);
    expect(request.headers['content-encoding']).toBeUndefined();
    expect(request.headers['ttl']).toBe('2419200');
  });

  it('refuses a payload that cannot fit in one message, and email tokens', async () => {
    const keys = await generateSubscriptionKeys();
    const subscription = { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } };
    await expect(buildPushRequest(subscription, new Uint8Array(MAX_WEB_PUSH_PLAINTEXT_BYTES + 1))).rejects.toSatisfy((e) => isFosspushError(e, 'PAYLOAD_TOO_LARGE'));
    const full = await buildPushRequest(subscription, new Uint8Array(MAX_WEB_PUSH_PLAINTEXT_BYTES));
    expect(full.body.length).toBe(4096);
    const email = { channel: 'email' as const, endpoint: 'mailto:a@example.org', p256dh: keys.p256dh, auth: keys.auth, extras: {} };
    await expect(buildPushRequest(email, 'x')).rejects.toSatisfy((e) => isFosspushError(e, 'INVALID_TOKEN'));
  });
});
