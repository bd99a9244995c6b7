import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';
import { concatBytes } from '../encoding/bytes.js';
import { FosspushError, type FosspushErrorCode } from '../errors.js';
import { bufferSource, subtle } from './webcrypto.js';
import type { CryptoKey, JsonWebKey, KeyUsage } from './webcrypto-types.js';

/**
 * P-256 key material as Web Push and VAPID carry it: public keys as 65-byte uncompressed points
 * (0x04 || x || y), private keys as the 32-byte scalar d, both base64url on the wire.
 */
export const P256_PUBLIC_KEY_BYTES = 65;
export const P256_PRIVATE_KEY_BYTES = 32;

/** ECDH for RFC 8291 content keys, ECDSA for RFC 8292 VAPID signatures. */
type P256Algorithm = 'ECDH' | 'ECDSA';

const PRIVATE_USAGES: Record<P256Algorithm, KeyUsage[]> = { ECDH: ['deriveBits'], ECDSA: ['sign'] };
const PUBLIC_USAGES: Record<P256Algorithm, KeyUsage[]> = { ECDH: [], ECDSA: ['verify'] };

/** Decodes base64url key material that must have one exact length. */
export function decodeKeyBytes(text: unknown, what: string, length: number, code: FosspushErrorCode = 'INVALID_KEY'): Uint8Array {
  if (typeof text !== 'string') throw new FosspushError(code, `${what} must be a base64url string`);
  const bytes = fromBase64Url(text, what, code);
  if (bytes.length !== length) throw new FosspushError(code, `${what} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** Checks the form of a raw public key: 65 bytes, uncompressed (0x04 || x || y). */
export function checkPublicPoint(point: unknown, what: string, code: FosspushErrorCode = 'INVALID_KEY'): Uint8Array {
  if (!(point instanceof Uint8Array) || point.length !== P256_PUBLIC_KEY_BYTES || point[0] !== 0x04) {
    throw new FosspushError(code, `${what} is not an uncompressed P-256 point (65 bytes starting with 0x04)`);
  }
  return point;
}

/** Decodes a base64url public key and checks its form. */
export function decodePublicKey(text: unknown, what: string, code: FosspushErrorCode = 'INVALID_KEY'): Uint8Array {
  return checkPublicPoint(decodeKeyBytes(text, what, P256_PUBLIC_KEY_BYTES, code), what, code);
}

/** Imports a 65-byte public point; a point that is not on the curve fails with `code`. */
export async function importWebCryptoPublicKey(
  point: Uint8Array,
  algorithm: P256Algorithm,
  what: string,
  code: FosspushErrorCode = 'INVALID_KEY',
): Promise<CryptoKey> {
  try {
    return await subtle().importKey('raw', bufferSource(point), { name: algorithm, namedCurve: 'P-256' }, false, PUBLIC_USAGES[algorithm]);
  } catch (cause) {
    throw new FosspushError(code, `${what} is not a point on P-256`, { cause });
  }
}

/**
 * Imports a private key from its raw parts. WebCrypto cannot import a bare scalar, so this goes
 * through a JWK, which needs the public point beside d.
 */
export async function importWebCryptoPrivateKey(
  publicKey: Uint8Array,
  privateKey: Uint8Array,
  algorithm: P256Algorithm,
  what: string,
): Promise<CryptoKey> {
  const jwk: JsonWebKey = {
    kty: 'EC',
    crv: 'P-256',
    x: toBase64Url(publicKey.subarray(1, 33)),
    y: toBase64Url(publicKey.subarray(33, 65)),
    d: toBase64Url(privateKey),
  };
  try {
    return await subtle().importKey('jwk', jwk, { name: algorithm, namedCurve: 'P-256' }, false, PRIVATE_USAGES[algorithm]);
  } catch (cause) {
    throw new FosspushError('INVALID_KEY', `${what} is not a valid P-256 key pair`, { cause });
  }
}

function jwkField(jwk: JsonWebKey, name: 'x' | 'y' | 'd'): string {
  const value = jwk[name];
  if (value === undefined) throw new FosspushError('INTERNAL', `WebCrypto exported a P-256 JWK without ${name}`);
  return value;
}

/** The 65-byte uncompressed point of a generated key pair, from its private JWK (which holds x and y). */
function pointFromJwk(jwk: JsonWebKey): Uint8Array {
  return concatBytes(Uint8Array.of(0x04), fromBase64Url(jwkField(jwk, 'x')), fromBase64Url(jwkField(jwk, 'y')));
}

/** A new key pair to keep: base64url public point and private scalar. */
export async function generateEncodedKeyPair(algorithm: P256Algorithm): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await subtle().generateKey({ name: algorithm, namedCurve: 'P-256' }, true, PRIVATE_USAGES[algorithm]);
  const jwk = await subtle().exportKey('jwk', pair.privateKey);
  return { publicKey: toBase64Url(pointFromJwk(jwk)), privateKey: jwkField(jwk, 'd') };
}
