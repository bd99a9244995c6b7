import type { ArrayBufferBytes } from '../encoding/bytes.js';
import type { CryptoKey, SubtleCrypto } from './webcrypto-types.js';

/**
 * The few WebCrypto calls the Web Push code shares. `globalThis.crypto.subtle` is looked up at
 * call time, not import time, so a polyfill installed after this module loads (React Native)
 * still counts.
 */
export function subtle(): SubtleCrypto {
  return globalThis.crypto.subtle;
}

/**
 * WebCrypto accepts only views of a plain ArrayBuffer; a view of a SharedArrayBuffer is copied.
 * Every other view, Node's Buffer included, passes through without a copy.
 */
export function bufferSource(bytes: Uint8Array): ArrayBufferBytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as ArrayBufferBytes) : new Uint8Array(bytes);
}

/** An HKDF pseudorandom key as WebCrypto holds it: the IKM imported, and the salt for the expand step. */
export interface WebCryptoPrk {
  key: CryptoKey;
  salt: ArrayBufferBytes;
}

/**
 * HKDF-SHA-256 extract (RFC 5869 section 2.2). WebCrypto runs extract and expand as one
 * operation, so this only imports the IKM: each expand then costs one call, not two.
 */
export async function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Promise<WebCryptoPrk> {
  const key = await subtle().importKey('raw', bufferSource(ikm), 'HKDF', false, ['deriveBits', 'deriveKey']);
  return { key, salt: new Uint8Array(salt) };
}

/** HKDF-SHA-256 expand (RFC 5869 section 2.3): `length` bytes of output keying material. */
export async function hkdfExpand(prk: WebCryptoPrk, info: Uint8Array, length: number): Promise<ArrayBufferBytes> {
  const bits = await subtle().deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: prk.salt, info: bufferSource(info) }, prk.key, length * 8);
  return new Uint8Array(bits);
}

/** HKDF-SHA-256 (RFC 5869): `length` bytes of output keying material. */
export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<ArrayBufferBytes> {
  return hkdfExpand(await hkdfExtract(salt, ikm), info, length);
}
