// The node:crypto backend against the RFC 8188/8291 vectors, the WebCrypto backend (both ways)
// and web-push: the same bytes, the same error codes.
import { randomBytes } from 'node:crypto';
import {
  decryptContent,
  decryptWebPush,
  encryptContent,
  encryptWebPush,
  fromBase64Url,
  generateSubscriptionKeys,
  type SubscriptionKeys,
  toBase64Url,
  utf8Decode,
  utf8Encode,
  type WebPushCrypto,
  webCryptoWebPush,
} from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { RFC8188_3_1, RFC8188_3_2, RFC8291 } from '@fosspush/testing';
import webpush from 'web-push';
import { nodeWebPushCrypto } from './node-crypto.js';

const b64 = (text: string) => fromBase64Url(text);

const WALRUS = 'I am the walrus';
const userAgent: SubscriptionKeys = { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret, privateKey: RFC8291.uaPrivate };

const backends: [string, WebPushCrypto][] = [
  ['node:crypto', nodeWebPushCrypto],
  ['WebCrypto', webCryptoWebPush],
];

describe.each(backends)('RFC vectors on the %s backend', (_name, crypto) => {
  it('RFC 8291 Appendix A: encrypts byte for byte and decrypts', async () => {
    const body = await encryptWebPush(utf8Encode(RFC8291.plaintext), userAgent, {
      crypto,
      salt: b64(RFC8291.salt),
      senderKeys: { publicKey: b64(RFC8291.asPublic), privateKey: b64(RFC8291.asPrivate) },
    });
    expect(toBase64Url(body)).toBe(RFC8291.body);
    expect(utf8Decode(await decryptWebPush(b64(RFC8291.body), userAgent, { crypto }))).toBe(RFC8291.plaintext);
  });

  it('RFC 8188 sections 3.1 and 3.2: encrypts byte for byte and decrypts', async () => {
    const one = await encryptContent(utf8Encode(WALRUS), b64(RFC8188_3_1.ikm), { crypto, salt: b64(RFC8188_3_1.salt), recordSize: 4096 });
    expect(toBase64Url(one)).toBe(RFC8188_3_1.body);
    const two = await encryptContent(utf8Encode(WALRUS), b64(RFC8188_3_2.ikm), {
      crypto,
      salt: b64(RFC8188_3_2.salt),
      recordSize: 25,
      keyId: utf8Encode('a1'),
      padTo: 16,
    });
    expect(toBase64Url(two)).toBe(RFC8188_3_2.body);
    expect(utf8Decode(await decryptContent(b64(RFC8188_3_1.body), b64(RFC8188_3_1.ikm), { crypto }))).toBe(WALRUS);
    expect(utf8Decode(await decryptContent(b64(RFC8188_3_2.body), b64(RFC8188_3_2.ikm), { crypto }))).toBe(WALRUS);
  });

  it('fails with the same error codes as the default backend', async () => {
    const offCurve = toBase64Url(Uint8Array.of(4, ...new Uint8Array(64)));
    await expect(encryptWebPush(utf8Encode('x'), { p256dh: offCurve, auth: RFC8291.authSecret }, { crypto })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    const mismatched = { publicKey: b64(RFC8291.uaPublic), privateKey: b64(RFC8291.asPrivate) };
    await expect(encryptWebPush(utf8Encode('x'), userAgent, { crypto, senderKeys: mismatched })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(decryptWebPush(b64(RFC8291.body), { ...userAgent, privateKey: toBase64Url(new Uint8Array(32)) }, { crypto })).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(decryptWebPush(b64(RFC8291.body), await generateSubscriptionKeys(), { crypto })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    const senderOffCurve = b64(RFC8291.body);
    senderOffCurve.fill(0, 22, 86);
    await expect(decryptWebPush(senderOffCurve, userAgent, { crypto })).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: /not a point on P-256/ });
    const altered = b64(RFC8291.body);
    altered[100] = (altered[100] as number) ^ 1;
    await expect(decryptWebPush(altered, userAgent, { crypto })).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: /record 0 does not authenticate/ });
  });
});

describe('node:crypto and WebCrypto backends together', () => {
  it('derive the same HKDF output, over one SHA-256 block and beyond', async () => {
    const [ikm, salt, info] = [randomBytes(32), randomBytes(16), randomBytes(40)];
    for (const length of [1, 12, 16, 32, 33, 64, 100]) {
      const [ours, theirs] = await Promise.all(
        [nodeWebPushCrypto, webCryptoWebPush].map(async (crypto: WebPushCrypto) => crypto.hkdfExpand(await crypto.hkdfExtract(salt, ikm), info, length)),
      );
      expect(toBase64Url(ours as Uint8Array)).toBe(toBase64Url(theirs as Uint8Array));
    }
  });

  it('each decrypt what the other encrypts, in one record and in several', async () => {
    const keys = await generateSubscriptionKeys();
    const ikm = randomBytes(16);
    for (const [from, to] of [
      [nodeWebPushCrypto, webCryptoWebPush],
      [webCryptoWebPush, nodeWebPushCrypto],
    ] as const) {
      for (const size of [0, 1, 100, 3993]) {
        const plaintext = randomBytes(size);
        const body = await encryptWebPush(plaintext, keys, { crypto: from });
        expect(Buffer.from(await decryptWebPush(body, keys, { crypto: to })).equals(plaintext), `size ${size}`).toBe(true);
      }
      const padded = await encryptWebPush(utf8Encode('hi'), keys, { crypto: from, padTo: 500 });
      expect(utf8Decode(await decryptWebPush(padded, keys, { crypto: to }))).toBe('hi');
      const plaintext = randomBytes(300);
      const records = await encryptContent(plaintext, ikm, { crypto: from, salt: randomBytes(16), recordSize: 25, keyId: utf8Encode('k'), padTo: 400 });
      expect(Buffer.from(await decryptContent(records, ikm, { crypto: to })).equals(plaintext)).toBe(true);
    }
  });

  it('node:crypto decrypts what web-push encrypts', async () => {
    const keys = await generateSubscriptionKeys();
    for (const size of [0, 1, 100, 3993]) {
      const plaintext = randomBytes(size);
      const { cipherText } = webpush.encrypt(keys.p256dh, keys.auth, plaintext, 'aes128gcm');
      expect(Buffer.from(await decryptWebPush(cipherText, keys, { crypto: nodeWebPushCrypto })).equals(plaintext), `size ${size}`).toBe(true);
    }
  });
});
