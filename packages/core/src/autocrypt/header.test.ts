import { describe, expect, it } from 'vitest';
import { isFosspushError } from '../errors.js';
import { toBase64 } from './base64.js';
import {
  AUTOCRYPT_HEADER_MAX_BYTES,
  formatAutocryptHeader,
  parseAutocryptGossipHeader,
  parseAutocryptHeader,
  selectAutocryptHeader,
} from './header.js';

const keydata = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) & 0xff);
const b64 = toBase64(keydata);
const from = { fromAddress: 'alice@example.org' };

function invalid(value: string, options = from): string {
  try {
    parseAutocryptHeader(value, options);
  } catch (error) {
    expect(isFosspushError(error, 'INVALID_AUTOCRYPT_HEADER')).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${value.slice(0, 60)}`);
}

describe('Autocrypt header', () => {
  it('formats keydata last, folded into lines of at most 78 characters, and parses back', () => {
    const field = formatAutocryptHeader({ addr: 'alice@example.org', preferEncrypt: 'mutual', keydata });
    const lines = field.split('\r\n');
    expect(lines[0]).toBe('Autocrypt: addr=alice@example.org; prefer-encrypt=mutual; keydata=');
    for (const line of lines.slice(1)) expect(line).toMatch(/^ [A-Za-z0-9+/=]{1,76}$/);
    const value = field.slice('Autocrypt:'.length);
    expect(parseAutocryptHeader(value, from)).toEqual({ addr: 'alice@example.org', preferEncrypt: 'mutual', keydata });
  });

  it('omits prefer-encrypt for nopreference and in gossip', () => {
    expect(formatAutocryptHeader({ addr: 'a@b.example', preferEncrypt: 'nopreference', keydata })).not.toContain('prefer-encrypt');
    expect(formatAutocryptHeader({ addr: 'a@b.example', preferEncrypt: 'mutual', keydata }, 'Autocrypt-Gossip')).not.toContain('prefer-encrypt');
  });

  it('requires addr to match From after canonicalization (case, IDNA)', () => {
    expect(parseAutocryptHeader(`addr=Alice@EXAMPLE.org; keydata=${b64}`, from).addr).toBe('Alice@EXAMPLE.org');
    expect(parseAutocryptHeader(`addr=anna@bücher.example; keydata=${b64}`, { fromAddress: 'ANNA@xn--bcher-kva.example' }).addr).toBe(
      'anna@bücher.example',
    );
    expect(invalid(`addr=mallory@example.org; keydata=${b64}`)).toMatch(/does not match/);
  });

  it('requires keydata to be the last attribute', () => {
    expect(invalid(`addr=alice@example.org; keydata=${b64}; prefer-encrypt=mutual`)).toMatch(/last/);
    expect(parseAutocryptHeader(`addr=alice@example.org; keydata=${b64};`, from).keydata).toEqual(keydata);
  });

  it('rejects unknown critical attributes and ignores unknown non-critical ones', () => {
    expect(invalid(`addr=alice@example.org; type=1; keydata=${b64}`)).toMatch(/critical attribute "type"/);
    expect(parseAutocryptHeader(`addr=alice@example.org; _venue=lunch; keydata=${b64}`, from).keydata).toEqual(keydata);
  });

  it('reads prefer-encrypt: only mutual counts, anything else means nopreference', () => {
    expect(parseAutocryptHeader(`addr=alice@example.org; prefer-encrypt=mutual; keydata=${b64}`, from).preferEncrypt).toBe('mutual');
    expect(parseAutocryptHeader(`addr=alice@example.org; prefer-encrypt=yes; keydata=${b64}`, from).preferEncrypt).toBe('nopreference');
    expect(parseAutocryptHeader(`addr=alice@example.org; keydata=${b64}`, from).preferEncrypt).toBe('nopreference');
  });

  it('rejects missing, repeated and malformed attributes', () => {
    expect(invalid(`keydata=${b64}`)).toMatch(/addr/);
    expect(invalid('addr=alice@example.org')).toMatch(/keydata is missing/);
    expect(invalid('addr=alice@example.org; keydata=')).toMatch(/keydata is missing/);
    expect(invalid('addr=alice@example.org; keydata=!!!!')).toMatch(/base64/);
    expect(invalid(`addr=alice@example.org; addr=alice@example.org; keydata=${b64}`)).toMatch(/twice/);
    expect(invalid(`addr=alice@example.org; oops; keydata=${b64}`)).toMatch(/malformed/);
  });

  it('counts the name, colon and folding whitespace against the 10 KiB limit', () => {
    const withPadding = (n: number) => ` addr=alice@example.org; _pad=${'x'.repeat(n)};\r\n keydata=${b64}`;
    const overhead = 'Autocrypt:'.length + withPadding(0).length;
    const exact = withPadding(AUTOCRYPT_HEADER_MAX_BYTES - overhead);
    expect('Autocrypt:'.length + exact.length).toBe(AUTOCRYPT_HEADER_MAX_BYTES);
    expect(parseAutocryptHeader(exact, from).keydata).toEqual(keydata);
    expect(invalid(withPadding(AUTOCRYPT_HEADER_MAX_BYTES - overhead + 1))).toMatch(/larger than 10240/);
    expect(() => formatAutocryptHeader({ addr: 'alice@example.org', preferEncrypt: 'nopreference', keydata: new Uint8Array(8000) })).toThrow(
      /larger than/,
    );
  });

  it('discards all headers when more than one is valid (Level 1 "Updating Autocrypt Peer State")', () => {
    const good = `addr=alice@example.org; keydata=${b64}`;
    const bad = `addr=alice@example.org; crit=1; keydata=${b64}`;
    expect(selectAutocryptHeader([good], 'alice@example.org')?.keydata).toEqual(keydata);
    expect(selectAutocryptHeader([bad, good], 'alice@example.org')?.keydata).toEqual(keydata);
    expect(selectAutocryptHeader([good, good], 'alice@example.org')).toBeUndefined();
    expect(selectAutocryptHeader([bad], 'alice@example.org')).toBeUndefined();
    expect(selectAutocryptHeader([], 'alice@example.org')).toBeUndefined();
  });

  it('accepts gossip only for the message recipients', () => {
    const value = `addr=bob@example.net; prefer-encrypt=mutual; keydata=${b64}`;
    expect(parseAutocryptGossipHeader(value, { recipients: ['BOB@example.net', 'carol@example.net'] })).toEqual({
      addr: 'bob@example.net',
      preferEncrypt: 'nopreference',
      keydata,
    });
    expect(() => parseAutocryptGossipHeader(value, { recipients: ['carol@example.net'] })).toThrow(/does not match/);
  });
});
