// The `crypto` option: every Web Push encrypt and decrypt function runs on the primitives it is
// given, and nothing of WebCrypto is called behind its back.
import { describe, expect, it } from 'vitest';
import {
  decryptContent,
  decryptWebPush,
  encryptContent,
  encryptWebPush,
  generateSubscriptionKeys,
  utf8Decode,
  utf8Encode,
  type WebPushCrypto,
  webCryptoWebPush,
} from '../src/index.js';
import type { CryptoKey } from '../src/webpush-crypto/webcrypto-types.js';

type Primitive = keyof WebPushCrypto;
/** The WebCrypto backend's pseudorandom-key handle. */
type WebCryptoPrk = Parameters<typeof webCryptoWebPush.hkdfExpand>[0];

/** The WebCrypto backend behind a wrapper that counts the calls of each primitive. */
function countingBackend(): { crypto: WebPushCrypto; calls: Map<Primitive, number> } {
  const calls = new Map<Primitive, number>();
  const count = (name: Primitive) => calls.set(name, (calls.get(name) ?? 0) + 1);
  const crypto: WebPushCrypto = {
    importPublicKey: (point) => (count('importPublicKey'), webCryptoWebPush.importPublicKey(point)),
    importPrivateKey: (publicKey, privateKey) => (count('importPrivateKey'), webCryptoWebPush.importPrivateKey(publicKey, privateKey)),
    generateKeyPair: () => (count('generateKeyPair'), webCryptoWebPush.generateKeyPair()),
    ecdh: (privateKey, peer) => (count('ecdh'), webCryptoWebPush.ecdh(privateKey as CryptoKey, peer as CryptoKey)),
    hkdfExtract: (salt, ikm) => (count('hkdfExtract'), webCryptoWebPush.hkdfExtract(salt, ikm)),
    hkdfExpand: (prk, info, length) => (count('hkdfExpand'), webCryptoWebPush.hkdfExpand(prk as WebCryptoPrk, info, length)),
    deriveAesKey: (prk, info) => (count('deriveAesKey'), webCryptoWebPush.deriveAesKey(prk as WebCryptoPrk, info)),
    aesGcmEncrypt: (key, iv, plaintext) => (count('aesGcmEncrypt'), webCryptoWebPush.aesGcmEncrypt(key as CryptoKey, iv, plaintext)),
    aesGcmDecrypt: (key, iv, ciphertext) => (count('aesGcmDecrypt'), webCryptoWebPush.aesGcmDecrypt(key as CryptoKey, iv, ciphertext)),
  };
  return { crypto, calls };
}

describe('injected Web Push crypto primitives', () => {
  it('encryptWebPush and decryptWebPush run on the backend given, importing a recipient once per backend', async () => {
    const keys = await generateSubscriptionKeys();
    const { crypto, calls } = countingBackend();
    const first = await encryptWebPush(utf8Encode('one'), keys, { crypto });
    const second = await encryptWebPush(utf8Encode('two'), keys, { crypto });
    expect(Object.fromEntries(calls)).toEqual({ importPublicKey: 1, generateKeyPair: 2, ecdh: 2, hkdfExtract: 4, hkdfExpand: 4, deriveAesKey: 2, aesGcmEncrypt: 2 });
    calls.clear();
    expect(utf8Decode(await decryptWebPush(first, keys, { crypto }))).toBe('one');
    expect(utf8Decode(await decryptWebPush(second, keys))).toBe('two');
    expect(Object.fromEntries(calls)).toEqual({ importPrivateKey: 1, importPublicKey: 1, ecdh: 1, hkdfExtract: 2, hkdfExpand: 2, deriveAesKey: 1, aesGcmDecrypt: 1 });
  });

  it('encryptContent and decryptContent seal and open each record with the backend given', async () => {
    const ikm = new Uint8Array(16).fill(3);
    const { crypto, calls } = countingBackend();
    const body = await encryptContent(utf8Encode('I am the walrus'), ikm, { crypto, salt: new Uint8Array(16), recordSize: 25, padTo: 16 });
    expect(utf8Decode(await decryptContent(body, ikm, { crypto }))).toBe('I am the walrus');
    expect(Object.fromEntries(calls)).toEqual({ hkdfExtract: 2, hkdfExpand: 2, deriveAesKey: 2, aesGcmEncrypt: 2, aesGcmDecrypt: 2 });
  });

  it('turns any failure of a backend into the documented error codes', async () => {
    const keys = await generateSubscriptionKeys();
    const broken = (name: Primitive): WebPushCrypto => ({ ...webCryptoWebPush, [name]: async () => Promise.reject(new Error(`${name} is broken`)) });
    await expect(encryptWebPush(utf8Encode('x'), keys, { crypto: broken('importPublicKey') })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(encryptWebPush(utf8Encode('x'), keys, { crypto: broken('ecdh') })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    const body = await encryptWebPush(utf8Encode('x'), keys);
    await expect(decryptWebPush(body, keys, { crypto: broken('importPrivateKey') })).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(decryptWebPush(body, keys, { crypto: broken('importPublicKey') })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(decryptWebPush(body, keys, { crypto: broken('ecdh') })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
    await expect(decryptWebPush(body, keys, { crypto: broken('aesGcmDecrypt') })).rejects.toMatchObject({ code: 'DECRYPT_FAILED' });
  });
});
