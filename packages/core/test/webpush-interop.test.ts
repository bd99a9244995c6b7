// Interoperability with the libraries app servers use today: web-push (encrypt, VAPID) and
// http_ece (RFC 8188/8291 reference code), both ways, and an independent ES256 check on
// node:crypto.
import { createECDH, createPublicKey, randomBytes, verify } from 'node:crypto';
import ece from 'http_ece';
import { describe, expect, it } from 'vitest';
import webpush from 'web-push';
import {
  createVapidSigner,
  decryptContent,
  decryptWebPush,
  encryptContent,
  encryptWebPush,
  fromBase64Url,
  generateSubscriptionKeys,
  generateVapidKeys,
  type SubscriptionKeys,
  utf8Decode,
  utf8Encode,
  verifyVapid,
} from '../src/index.js';

const sizes = [0, 1, 15, 16, 17, 100, 1000, 3000, 3993];

function payload(size: number): Buffer {
  return Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + size) & 0xff));
}

/** http_ece decrypts with an ECDH object holding the subscription's private key. */
function userAgentEcdh(keys: SubscriptionKeys) {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(keys.privateKey, 'base64url'));
  return ecdh;
}

describe('Web Push encryption interop', () => {
  it('ours encrypts, http_ece decrypts', async () => {
    const keys = await generateSubscriptionKeys();
    for (const size of sizes) {
      const body = await encryptWebPush(payload(size), keys);
      const plaintext = ece.decrypt(Buffer.from(body), { version: 'aes128gcm', privateKey: userAgentEcdh(keys), authSecret: keys.auth });
      expect(plaintext.equals(payload(size)), `size ${size}`).toBe(true);
    }
    const padded = await encryptWebPush(payload(10), keys, { padTo: 500 });
    expect(ece.decrypt(Buffer.from(padded), { version: 'aes128gcm', privateKey: userAgentEcdh(keys), authSecret: keys.auth })).toEqual(payload(10));
  });

  it('web-push encrypts, ours decrypts', async () => {
    const keys = await generateSubscriptionKeys();
    for (const size of sizes) {
      const { cipherText } = webpush.encrypt(keys.p256dh, keys.auth, payload(size), 'aes128gcm');
      expect(Buffer.from(await decryptWebPush(cipherText, keys)).equals(payload(size)), `size ${size}`).toBe(true);
    }
  });

  it('http_ece encrypts several padded records, ours decrypts', async () => {
    const keys = await generateSubscriptionKeys();
    for (const [rs, pad] of [
      [18, 0],
      [25, 3],
      [100, 250],
      [4096, 100],
    ] as const) {
      const sender = createECDH('prime256v1');
      sender.generateKeys();
      const body = ece.encrypt(payload(300), { version: 'aes128gcm', dh: keys.p256dh, privateKey: sender, authSecret: keys.auth, rs, pad });
      expect(Buffer.from(await decryptWebPush(body, keys)).equals(payload(300)), `rs ${rs} pad ${pad}`).toBe(true);
    }
  });

  it('RFC 8188 with an explicit key: both ways, several records, key ids and padding', async () => {
    const key = randomBytes(16);
    for (const [rs, padTo] of [
      [18, 0],
      [25, 16],
      [64, 1000],
      [4096, 0],
    ] as const) {
      const salt = randomBytes(16);
      const ours = await encryptContent(payload(200), key, { salt, recordSize: rs, keyId: utf8Encode('key-1'), padTo });
      expect(ece.decrypt(Buffer.from(ours), { version: 'aes128gcm', key: key.toString('base64url') }).equals(payload(200))).toBe(true);
      const theirs = ece.encrypt(payload(200), { version: 'aes128gcm', key, salt, rs, keyid: 'key-1', pad: Math.max(0, padTo - 200) });
      expect(Buffer.from(await decryptContent(theirs, async (keyId) => (utf8Decode(keyId) === 'key-1' ? key : new Uint8Array(16)))).equals(payload(200))).toBe(
        true,
      );
      // With padding that fits, the two encoders lay the records out identically.
      if (padTo === 0 || padTo === 16) expect(Buffer.from(ours).equals(theirs)).toBe(true);
    }
  });
});

describe('VAPID interop', () => {
  const endpoint = 'https://push.example.net/push/abcdef';

  it('verifies web-push headers, with its keys and with ours', async () => {
    for (const keys of [webpush.generateVAPIDKeys(), await generateVapidKeys()]) {
      const { Authorization } = webpush.getVapidHeaders('https://push.example.net', 'mailto:ops@example.org', keys.publicKey, keys.privateKey, 'aes128gcm');
      const verified = await verifyVapid(Authorization, { audience: endpoint, expectedPublicKey: keys.publicKey });
      expect(verified).toMatchObject({ publicKey: keys.publicKey, subject: 'mailto:ops@example.org' });
    }
  });

  it('signs headers that node:crypto verifies (ES256, IEEE P1363), with web-push keys and with ours', async () => {
    for (const keys of [webpush.generateVAPIDKeys(), await generateVapidKeys()]) {
      const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
      const authorization = await signer.authorization(endpoint);
      const [, token = '', k = ''] = /^vapid t=([^,]+), k=(.+)$/.exec(authorization) ?? [];
      expect(k).toBe(keys.publicKey);
      const [header = '', claims = '', signature = ''] = token.split('.');
      const point = fromBase64Url(k);
      const publicKey = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: Buffer.from(point.subarray(1, 33)).toString('base64url'), y: Buffer.from(point.subarray(33)).toString('base64url') },
        format: 'jwk',
      });
      const valid = verify('sha256', Buffer.from(`${header}.${claims}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
      expect(valid).toBe(true);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ typ: 'JWT', alg: 'ES256' });
      const { aud, exp, sub } = JSON.parse(Buffer.from(claims, 'base64url').toString());
      expect({ aud, sub }).toEqual({ aud: 'https://push.example.net', sub: 'mailto:ops@example.org' });
      expect(exp - Date.now() / 1000).toBeGreaterThan(43_190);
      expect(exp - Date.now() / 1000).toBeLessThanOrEqual(43_200);
    }
  });
});
