import { describe, expect, it } from 'vitest';
import { toBase64Url } from './encoding/base64url.js';
import { utf8Encode } from './encoding/bytes.js';
import { isFosspushError } from './errors.js';
import { decodeToken, encodeToken, fromPushSubscription, type PushToken, toPushSubscription } from './token.js';

const p256dh = toBase64Url(new Uint8Array(65).fill(7).map((v, i) => (i === 0 ? 4 : v)));
const auth = toBase64Url(new Uint8Array(16).fill(9));
const webpush: PushToken = { channel: 'webpush', endpoint: 'https://push.example/p/abc', p256dh, auth, extras: {} };

const rejectsWith = (code: string, fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(isFosspushError(error)).toBe(true);
    expect((error as { code: string }).code).toBe(code);
    return;
  }
  throw new Error(`expected ${code}`);
};

describe('token', () => {
  it('round-trips a Web Push token through a URL-safe string', () => {
    const token = encodeToken(webpush);
    expect(token).toMatch(/^fp1\.[A-Za-z0-9_-]+$/);
    expect(decodeToken(token)).toEqual(webpush);
  });

  it('carries channel-specific extras', () => {
    const email: PushToken = {
      channel: 'email',
      endpoint: 'mailto:alice@example.test',
      p256dh,
      auth,
      extras: { autocrypt: 'xsDNBF...', rid: 'r1' },
    };
    expect(decodeToken(encodeToken(email))).toEqual(email);
  });

  it('converts to and from the W3C PushSubscription JSON', () => {
    const subscription = toPushSubscription(encodeToken(webpush));
    expect(subscription).toEqual({ endpoint: webpush.endpoint, expirationTime: null, keys: { p256dh, auth } });
    expect(fromPushSubscription(subscription)).toEqual(webpush);
  });

  it('rejects an unknown version with UNSUPPORTED_TOKEN_VERSION', () => {
    rejectsWith('UNSUPPORTED_TOKEN_VERSION', () => decodeToken(encodeToken(webpush).replace(/^fp1/, 'fp2')));
  });

  it.each([
    ['empty', ''],
    ['no prefix', 'abc'],
    ['not base64url', 'fp1.!!!'],
    ['not JSON', `fp1.${toBase64Url(utf8Encode('{nope'))}`],
    ['JSON array', `fp1.${toBase64Url(utf8Encode('[]'))}`],
    ['missing keys', `fp1.${toBase64Url(utf8Encode('{"c":"webpush","e":"https://x"}'))}`],
    ['unknown channel', `fp1.${toBase64Url(utf8Encode(JSON.stringify({ c: 'fax', e: 'https://x', k: p256dh, a: auth })))}`],
    ['too long', `fp1.${'A'.repeat(9000)}`],
  ])('rejects a malformed token (%s) with INVALID_TOKEN', (_, token) => {
    rejectsWith('INVALID_TOKEN', () => decodeToken(token));
  });

  it.each([
    ['short auth', { ...webpush, auth: toBase64Url(new Uint8Array(15)) }],
    ['compressed p256dh', { ...webpush, p256dh: toBase64Url(new Uint8Array(33).fill(2)) }],
    ['mailto on webpush', { ...webpush, endpoint: 'mailto:a@b' }],
    ['https on email', { ...webpush, channel: 'email' as const }],
    ['relative endpoint', { ...webpush, endpoint: '/p/abc' }],
  ])('refuses to encode an invalid token (%s)', (_, token) => {
    rejectsWith('INVALID_TOKEN', () => encodeToken(token));
  });

  it('refuses a PushSubscription form for email tokens', () => {
    rejectsWith('INVALID_TOKEN', () => toPushSubscription({ ...webpush, channel: 'email', endpoint: 'mailto:a@b' }));
  });
});
