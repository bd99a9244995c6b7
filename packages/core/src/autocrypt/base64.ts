import { FosspushError, type FosspushErrorCode } from '../errors.js';
import { fromBase64Url, toBase64Url } from '../encoding/base64url.js';

const STANDARD_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Standard base64 (RFC 4648 section 4, with padding), as Autocrypt `keydata`, MIME and ASCII
 * armor use it. Built on the base64url codec: the two alphabets differ only in two characters.
 */
export function toBase64(bytes: Uint8Array): string {
  const url = toBase64Url(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}

/**
 * Decodes standard base64. Whitespace (line breaks of MIME and header folding) is skipped;
 * anything else outside the alphabet, or a misplaced `=`, is an error.
 */
export function fromBase64(text: string, what = 'value', code: FosspushErrorCode = 'INVALID_REQUEST'): Uint8Array {
  const compact = text.replace(/[ \t\r\n]+/g, '');
  if (!STANDARD_PATTERN.test(compact) || (compact.includes('=') && compact.length % 4 !== 0)) {
    throw new FosspushError(code, `${what} is not valid base64`);
  }
  return fromBase64Url(compact.replace(/\+/g, '-').replace(/\//g, '_'), what, code);
}

/** Base64 cut into lines of at most `lineLength` characters (MIME allows 76). */
export function toBase64Lines(bytes: Uint8Array, lineLength = 76): string[] {
  const text = toBase64(bytes);
  const lines: string[] = [];
  for (let offset = 0; offset < text.length; offset += lineLength) lines.push(text.slice(offset, offset + lineLength));
  return lines;
}
