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
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}

/** HKDF-SHA-256 (RFC 5869): `length` bytes of output keying material. */
export async function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle().importKey('raw', bufferSource(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: bufferSource(salt), info: bufferSource(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}
