import { createCipheriv, createDecipheriv, createECDH, createHmac, ECDH } from 'node:crypto';
import { equalBytes, type WebPushCrypto } from '@fosspush/core';

const CURVE = 'prime256v1';
const AES = 'aes-128-gcm';
const TAG_BYTES = 16;
const AES_KEY_BYTES = 16;
const HASH = 'sha256';
const HASH_BYTES = 32;
const FIRST_BLOCK = Uint8Array.of(1);
const MAX_HKDF_BYTES = 255 * HASH_BYTES;

/**
 * HKDF-SHA-256 expand (RFC 5869 section 2.3) on HMAC. Node's hkdfSync costs twice as much for
 * the 12- to 32-byte outputs Web Push derives, and cannot share one extract between two outputs.
 */
function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_HKDF_BYTES) throw new RangeError(`HKDF cannot output ${length} bytes`);
  // Web Push's outputs (12, 16 and 32 bytes) take one block: T(1) = HMAC(PRK, info || 0x01).
  if (length <= HASH_BYTES) return createHmac(HASH, prk).update(info).update(FIRST_BLOCK).digest().subarray(0, length);
  const okm = new Uint8Array(Math.ceil(length / HASH_BYTES) * HASH_BYTES);
  let previous = new Uint8Array(0);
  for (let block = 1, at = 0; at < length; block++, at += HASH_BYTES) {
    previous = createHmac(HASH, prk).update(previous).update(info).update(Uint8Array.of(block)).digest();
    okm.set(previous, at);
  }
  return okm.subarray(0, length);
}

/**
 * Web Push encryption primitives on node:crypto, for `encryptWebPush`/`decryptWebPush`'s
 * `crypto` option. Node's WebCrypto runs every call as a queued job and wraps every key in a
 * CryptoKey, about nine of each per message; these synchronous calls skip both: encryption runs about
 * five times as fast as on WebCrypto, a little faster than the web-push library (docs/crypto.md,
 * "Performance"). `buildPushRequest` uses it.
 *
 * Private keys are ECDH objects; public keys stay raw points, checked on the curve at import.
 *
 * @example
 * const body = await encryptWebPush(utf8Encode('hello'), token, { crypto: nodeWebPushCrypto });
 */
export const nodeWebPushCrypto: WebPushCrypto<Uint8Array, ECDH, Uint8Array, Uint8Array> = {
  async importPublicKey(point) {
    // Decoding the point rejects one that is not on the curve.
    ECDH.convertKey(point, CURVE);
    return point;
  },
  async importPrivateKey(publicKey, privateKey) {
    const ecdh = createECDH(CURVE);
    ecdh.setPrivateKey(privateKey);
    if (!equalBytes(ecdh.getPublicKey(), publicKey)) throw new Error('the public key does not belong to the private key');
    return ecdh;
  },
  async generateKeyPair() {
    const ecdh = createECDH(CURVE);
    return { publicKey: ecdh.generateKeys(), privateKey: ecdh };
  },
  async ecdh(privateKey, peerPublicKey) {
    return privateKey.computeSecret(peerPublicKey);
  },
  async hkdfExtract(salt, ikm) {
    return createHmac(HASH, salt).update(ikm).digest();
  },
  async hkdfExpand(prk, info, length) {
    return hkdfExpand(prk, info, length);
  },
  async deriveAesKey(prk, info) {
    return hkdfExpand(prk, info, AES_KEY_BYTES);
  },
  async aesGcmEncrypt(key, iv, plaintext) {
    const cipher = createCipheriv(AES, key, iv);
    const sealed = new Uint8Array(plaintext.length + TAG_BYTES);
    sealed.set(cipher.update(plaintext));
    // GCM is a stream mode: final() adds no bytes, only computes the tag.
    cipher.final();
    sealed.set(cipher.getAuthTag(), plaintext.length);
    return sealed;
  },
  async aesGcmDecrypt(key, iv, ciphertext) {
    if (ciphertext.length < TAG_BYTES) throw new Error(`${ciphertext.length} bytes hold no GCM tag`);
    const end = ciphertext.length - TAG_BYTES;
    const decipher = createDecipheriv(AES, key, iv);
    decipher.setAuthTag(ciphertext.subarray(end));
    const plain = decipher.update(ciphertext.subarray(0, end));
    // Throws when the tag does not authenticate; adds no bytes (GCM is a stream mode).
    decipher.final();
    return plain;
  },
};
