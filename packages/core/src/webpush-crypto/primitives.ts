import { importWebCryptoPrivateKey, importWebCryptoPublicKey } from './keys.js';
import { bufferSource, hkdfExpand, hkdfExtract, subtle, type WebCryptoPrk } from './webcrypto.js';
import type { CryptoKey } from './webcrypto-types.js';

/**
 * The cryptographic primitives RFC 8188/8291 need, and nothing of the RFCs themselves: record
 * layout, info strings, padding, validation and error codes stay in ece.ts and webpush.ts. A
 * platform with a faster library than WebCrypto (node:crypto: `nodeWebPushCrypto` in
 * `@fosspush/webpush`) passes its own as the `crypto` option.
 *
 * Keys are opaque handles of the backend's choosing, so that WebCrypto can keep a recipient's
 * imported public key across messages and a private key need not leave its library. Any
 * method may throw or reject with any error: the callers turn failures into FosspushErrors.
 */
export interface WebPushCrypto<PublicKey = unknown, PrivateKey = unknown, Prk = unknown, AesKey = unknown> {
  /** A 65-byte uncompressed P-256 point as a key for `ecdh`; rejects a point off the curve. */
  importPublicKey(point: Uint8Array): Promise<PublicKey>;
  /** A private scalar (32 bytes) with its 65-byte public point; rejects a pair that is unusable. */
  importPrivateKey(publicKey: Uint8Array, privateKey: Uint8Array): Promise<PrivateKey>;
  /** A fresh single-use P-256 key pair: the public point raw, the private half a handle. */
  generateKeyPair(): Promise<{ publicKey: Uint8Array; privateKey: PrivateKey }>;
  /** The 32-byte P-256 ECDH shared secret (the x coordinate). */
  ecdh(privateKey: PrivateKey, peerPublicKey: PublicKey): Promise<Uint8Array>;
  /**
   * HKDF-SHA-256 extract (RFC 5869 section 2.2): the pseudorandom key, as a handle for
   * `hkdfExpand`. Apart so that RFC 8188's two outputs (CEK and nonce) share one extract.
   */
  hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<Prk>;
  /** HKDF-SHA-256 expand (RFC 5869 section 2.3): `length` bytes (at most 8160) of output keying material. */
  hkdfExpand(prk: Prk, info: Uint8Array, length: number): Promise<Uint8Array>;
  /**
   * HKDF-SHA-256 expand into a 16-byte AES-128-GCM key, as a handle: WebCrypto derives the key
   * object in the same call that expands it.
   */
  deriveAesKey(prk: Prk, info: Uint8Array): Promise<AesKey>;
  /** AES-128-GCM: the ciphertext with the 16-byte tag appended. */
  aesGcmEncrypt(key: AesKey, iv: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** AES-128-GCM: the plaintext of a ciphertext ending in its tag; rejects one that does not authenticate. */
  aesGcmDecrypt(key: AesKey, iv: Uint8Array, ciphertext: Uint8Array): Promise<Uint8Array>;
}

const ECDH_P256 = { name: 'ECDH', namedCurve: 'P-256' } as const;

const webCrypto: WebPushCrypto<CryptoKey, CryptoKey, WebCryptoPrk, CryptoKey> = {
  importPublicKey: (point) => importWebCryptoPublicKey(point, 'ECDH', 'the public key'),
  importPrivateKey: (publicKey, privateKey) => importWebCryptoPrivateKey(publicKey, privateKey, 'ECDH', 'the key pair'),
  async generateKeyPair() {
    // Not extractable: only the public half is exported.
    const pair = await subtle().generateKey(ECDH_P256, false, ['deriveBits']);
    return { publicKey: new Uint8Array(await subtle().exportKey('raw', pair.publicKey)), privateKey: pair.privateKey };
  },
  ecdh: async (privateKey, peerPublicKey) => new Uint8Array(await subtle().deriveBits({ name: 'ECDH', public: peerPublicKey }, privateKey, 256)),
  hkdfExtract,
  hkdfExpand,
  deriveAesKey: (prk, info) =>
    subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: prk.salt, info: bufferSource(info) }, prk.key, { name: 'AES-GCM', length: 128 }, false, [
      'encrypt',
      'decrypt',
    ]),
  aesGcmEncrypt: async (key, iv, plaintext) =>
    new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv: bufferSource(iv) }, key, bufferSource(plaintext))),
  aesGcmDecrypt: async (key, iv, ciphertext) =>
    new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv: bufferSource(iv) }, key, bufferSource(ciphertext))),
};

/**
 * The default backend, on `globalThis.crypto.subtle` alone: it runs in Node, browsers and React
 * Native. Its key handles are WebCrypto's `CryptoKey`s, but the exported type keeps them opaque,
 * so the shipped declarations need no DOM or WebCrypto types (`lib: ["ES2022"]` checks them).
 */
export const webCryptoWebPush: WebPushCrypto = webCrypto;
