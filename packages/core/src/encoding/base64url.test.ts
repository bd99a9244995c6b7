import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url } from './base64url.js';

describe('base64url', () => {
  it('matches the platform encoder for every length and byte value', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + length) & 0xff);
      const expected = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      expect(toBase64Url(bytes)).toBe(expected);
      expect(fromBase64Url(expected)).toEqual(bytes);
    }
  });

  it('accepts padding but rejects foreign characters and impossible lengths', () => {
    expect(fromBase64Url('AQ==')).toEqual(new Uint8Array([1]));
    expect(() => fromBase64Url('A+B/')).toThrow(/base64url/);
    expect(() => fromBase64Url('AAAAA')).toThrow(/base64url/);
  });
});
