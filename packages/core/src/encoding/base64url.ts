import { FosspushError, type FosspushErrorCode } from '../errors.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

/** base64url without padding (RFC 4648 section 5), as Web Push and JWTs use it. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + ALPHABET.charAt(n & 63);
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63);
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63);
  }
  return out;
}

export function isBase64Url(text: string): boolean {
  return BASE64URL_PATTERN.test(text) && text.length % 4 !== 1;
}

/**
 * Decodes base64url, tolerating `=` padding (some senders add it) but nothing else: a stray
 * character is an error rather than silently skipped, so corrupted keys never half-decode.
 */
export function fromBase64Url(
  text: string,
  what = 'value',
  code: FosspushErrorCode = 'INVALID_REQUEST',
): Uint8Array {
  const unpadded = text.replace(/={1,2}$/, '');
  if (!isBase64Url(unpadded)) {
    throw new FosspushError(code, `${what} is not valid base64url`);
  }
  const out = new Uint8Array(Math.floor((unpadded.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < unpadded.length; i++) {
    buffer = (buffer << 6) | (LOOKUP[unpadded.charCodeAt(i)] as number);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}
