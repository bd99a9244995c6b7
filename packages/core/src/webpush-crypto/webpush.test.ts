import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';
import { concatBytes, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { encryptContent } from './ece.js';
import { webCryptoWebPush, type WebPushCrypto } from './primitives.js';
import { hkdf } from './webcrypto.js';
import { decryptWebPush, encryptWebPush, generateSubscriptionKeys, MAX_WEB_PUSH_PLAINTEXT_BYTES, type SubscriptionKeys } from './webpush.js';
import { RFC8291 } from '../../../testing/src/webpush-vectors.js';

const b64 = (text: string) => fromBase64Url(text);

const userAgent: SubscriptionKeys = { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret, privateKey: RFC8291.uaPrivate };
const vectorOptions = {
  salt: b64(RFC8291.salt),
  senderKeys: { publicKey: b64(RFC8291.asPublic), privateKey: b64(RFC8291.asPrivate) },
};

describe('RFC 8291 Web Push encryption', () => {
  it('reproduces Appendix A byte for byte', async () => {
    const body = await encryptWebPush(utf8Encode(RFC8291.plaintext), userAgent, vectorOptions);
    expect(body.length).toBe(144);
    expect(toBase64Url(body.subarray(0, 86))).toBe(RFC8291.header);
    expect(toBase64Url(body)).toBe(RFC8291.body);
  });

  it('derives the Appendix A IKM from its ECDH secret and key_info', async () => {
    const keyInfo = concatBytes(utf8Encode('WebPush: info\0'), b64(RFC8291.uaPublic), b64(RFC8291.asPublic));
    expect(toBase64Url(keyInfo)).toBe(RFC8291.keyInfo);
    expect(toBase64Url(await hkdf(b64(RFC8291.ecdhSecret), b64(RFC8291.authSecret), keyInfo, 32))).toBe(RFC8291.ikm);
  });

  it('decrypts Appendix A with the user agent keys', async () => {
    expect(utf8Decode(await decryptWebPush(b64(RFC8291.body), userAgent))).toBe('When I grow up, I want to be a watermelon');
  });

  it('round-trips with fresh keys, a fresh salt and sender key every message', async () => {
    const keys = await generateSubscriptionKeys();
    const first = await encryptWebPush(utf8Encode('hello'), keys);
    const second = await encryptWebPush(utf8Encode('hello'), keys);
    expect(utf8Decode(await decryptWebPush(first, keys))).toBe('hello');
    expect(utf8Decode(await decryptWebPush(second, keys))).toBe('hello');
    expect(first.subarray(0, 16)).not.toEqual(second.subarray(0, 16));
    expect(first.subarray(21, 86)).not.toEqual(second.subarray(21, 86));
    expect(await decryptWebPush(await encryptWebPush(new Uint8Array(0), keys), keys)).toEqual(new Uint8Array(0));
  });

  it('makes subscription keys of the right shapes, taking the auth secret from the injected random source', async () => {
    const keys = await generateSubscriptionKeys({ random: { bytes: (length) => new Uint8Array(length).fill(7) } });
    expect(b64(keys.p256dh)).toHaveLength(65);
    expect(b64(keys.p256dh)[0]).toBe(0x04);
    expect(b64(keys.privateKey)).toHaveLength(32);
    expect(b64(keys.auth)).toEqual(new Uint8Array(16).fill(7));
  });

  it('pads to padTo and takes the salt from the injected random source', async () => {
    const keys = await generateSubscriptionKeys();
    const random = { bytes: (length: number) => new Uint8Array(length).fill(9) };
    const body = await encryptWebPush(utf8Encode('hi'), keys, { padTo: 1000, runtime: { random } });
    expect(body.length).toBe(86 + 1000 + 1 + 16);
    expect(body.subarray(0, 16)).toEqual(new Uint8Array(16).fill(9));
    expect(utf8Decode(await decryptWebPush(body, keys))).toBe('hi');
  });

  it('fills a 4096-byte message at most, and one record of recordSize', async () => {
    const keys = await generateSubscriptionKeys();
    const largest = await encryptWebPush(new Uint8Array(MAX_WEB_PUSH_PLAINTEXT_BYTES), keys);
    expect(MAX_WEB_PUSH_PLAINTEXT_BYTES).toBe(3993);
    expect(largest.length).toBe(4096);
    await expect(encryptWebPush(new Uint8Array(MAX_WEB_PUSH_PLAINTEXT_BYTES + 1), keys)).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(encryptWebPush(new Uint8Array(10), keys, { padTo: 4000 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    await expect(encryptWebPush(new Uint8Array(100), keys, { recordSize: 100 })).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(await decryptWebPush(await encryptWebPush(new Uint8Array(83), keys, { recordSize: 100 }), keys)).toHaveLength(83);
  });

  it('decrypts bodies of several records', async () => {
    // A sender key pair and the IKM it agrees with the Appendix A user agent (from the vector).
    const body = await encryptContent(utf8Encode('a message in several records'), b64(RFC8291.ikm), {
      salt: b64(RFC8291.salt),
      recordSize: 20,
      keyId: b64(RFC8291.asPublic),
    });
    expect(utf8Decode(await decryptWebPush(body, userAgent))).toBe('a message in several records');
  });

  it('refuses unusable recipient keys with INVALID_KEY', async () => {
    const plaintext = utf8Encode('x');
    const offCurve = toBase64Url(concatBytes(Uint8Array.of(4), new Uint8Array(64)));
    for (const target of [
      { p256dh: RFC8291.uaPublic.slice(0, -2), auth: RFC8291.authSecret },
      { p256dh: RFC8291.uaPublic.replace('B', 'A'), auth: RFC8291.authSecret },
      { p256dh: offCurve, auth: RFC8291.authSecret },
      { p256dh: 'not base64url!', auth: RFC8291.authSecret },
      { p256dh: RFC8291.uaPublic, auth: RFC8291.authSecret.slice(0, -4) },
    ]) {
      await expect(encryptWebPush(plaintext, target)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    }
    await expect(encryptWebPush(plaintext, userAgent, { senderKeys: { publicKey: new Uint8Array(65), privateKey: new Uint8Array(32) } })).rejects.toMatchObject({
      code: 'INVALID_KEY',
    });
    await expect(decryptWebPush(b64(RFC8291.body), { ...userAgent, privateKey: toBase64Url(new Uint8Array(32)) })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(decryptWebPush(b64(RFC8291.body), { ...userAgent, auth: 'AAAA' })).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });

  it('fails with DECRYPT_FAILED for the wrong keys or a key id that is no sender key', async () => {
    const other = await generateSubscriptionKeys();
    await expect(decryptWebPush(b64(RFC8291.body), other)).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(decryptWebPush(b64(RFC8291.body), { ...userAgent, auth: toBase64Url(new Uint8Array(16)) })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    const shortKeyId = await encryptContent(utf8Encode('x'), b64(RFC8291.ikm), { salt: b64(RFC8291.salt), recordSize: 4096, keyId: new Uint8Array(3) });
    await expect(decryptWebPush(shortKeyId, userAgent)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: /key id/ });
    const offCurve = b64(RFC8291.body);
    offCurve.fill(0, 22, 86);
    await expect(decryptWebPush(offCurve, userAgent)).rejects.toMatchObject({ code: 'DECRYPT_FAILED', message: /not a point on P-256/ });
  });

  it('imports a key pair once per backend, and never stands a cached pair in for another', async () => {
    let imports = 0;
    const counting: WebPushCrypto = {
      ...webCryptoWebPush,
      importPrivateKey(publicKey, privateKey) {
        imports++;
        return webCryptoWebPush.importPrivateKey(publicKey, privateKey);
      },
    };
    const keys = await generateSubscriptionKeys();
    const body = await encryptWebPush(utf8Encode('hello'), keys);
    for (let i = 0; i < 3; i++) expect(utf8Decode(await decryptWebPush(body, keys, { crypto: counting }))).toBe('hello');
    expect(imports).toBe(1);
    // The same public key with another private key is another pair: imported, and refused.
    const other = await generateSubscriptionKeys();
    await expect(decryptWebPush(body, { ...keys, privateKey: other.privateKey }, { crypto: counting })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(imports).toBe(2);
    // A refused import is not remembered: it is tried again.
    await expect(decryptWebPush(body, { ...keys, privateKey: other.privateKey }, { crypto: counting })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    expect(imports).toBe(3);
  });
});
