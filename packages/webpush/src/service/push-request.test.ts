import { isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { checkAes128gcmBody } from './aes128gcm.js';
import { parsePushRequest } from './push-request.js';

/** The RFC 8291 Appendix A body's header, then a short stand-in for the ciphertext. */
function aes128gcmBody(length = 144): Uint8Array {
  const body = new Uint8Array(length);
  body.set([0x00, 0x00, 0x10, 0x00, 65, 0x04], 16);
  return body;
}

const rejects = (fn: () => unknown, code: Parameters<typeof isFosspushError>[1]) => {
  try {
    fn();
  } catch (error) {
    return isFosspushError(error, code);
  }
  return false;
};

describe('parsePushRequest', () => {
  const ok = { ttl: '60', 'content-encoding': 'aes128gcm' };

  it('reads TTL, Urgency, Topic and Prefer', () => {
    const push = parsePushRequest({
      method: 'POST',
      headers: { ...ok, urgency: 'High', topic: 'inbox', prefer: 'wait=5, respond-async' },
      body: aes128gcmBody(),
    });
    expect(push).toMatchObject({ ttlSeconds: 60, urgency: 'high', topic: 'inbox', respondAsync: true });
    expect(push.payload).toHaveLength(144);
  });

  it('defaults Urgency to normal and accepts an empty push without Content-Encoding', () => {
    const push = parsePushRequest({ headers: { ttl: '0' }, body: new Uint8Array(0) });
    expect(push).toMatchObject({ ttlSeconds: 0, urgency: 'normal', respondAsync: false });
    expect(push.topic).toBeUndefined();
  });

  it('caps a long TTL, including absurd digit strings', () => {
    expect(parsePushRequest({ headers: { ...ok, ttl: '99999999999999999999999' }, body: aes128gcmBody() }).ttlSeconds).toBe(2_419_200);
    expect(parsePushRequest({ headers: { ...ok, ttl: '3600' }, body: aes128gcmBody() }, { maxTtlSeconds: 600 }).ttlSeconds).toBe(600);
  });

  it('gives a push without TTL the configured default, capped, and stays strict without one', () => {
    const noTtl = { 'content-encoding': 'aes128gcm' };
    expect(parsePushRequest({ headers: noTtl, body: aes128gcmBody() }, { defaultTtlSeconds: 3600 }).ttlSeconds).toBe(3600);
    expect(parsePushRequest({ headers: noTtl, body: aes128gcmBody() }, { defaultTtlSeconds: 3600, maxTtlSeconds: 60 }).ttlSeconds).toBe(60);
    expect(parsePushRequest({ headers: { ...noTtl, ttl: '5' }, body: aes128gcmBody() }, { defaultTtlSeconds: 3600 }).ttlSeconds).toBe(5);
    expect(() => parsePushRequest({ headers: noTtl, body: aes128gcmBody() })).toThrow(/TTL header is required/);
  });

  it('reads fetch Headers as well as Node header objects', () => {
    const headers = new Headers({ TTL: '30', 'Content-Encoding': 'aes128gcm' });
    expect(parsePushRequest({ headers, body: aes128gcmBody() }).ttlSeconds).toBe(30);
  });

  it.each([
    [{ 'content-encoding': 'aes128gcm' }, 'INVALID_TTL'],
    [{ ...ok, ttl: '1.5' }, 'INVALID_TTL'],
    [{ ...ok, ttl: '60, 60' }, 'INVALID_TTL'],
    [{ ...ok, urgency: 'now' }, 'INVALID_URGENCY'],
    [{ ...ok, topic: '' }, 'INVALID_TOPIC'],
    [{ ...ok, topic: 'x'.repeat(33) }, 'INVALID_TOPIC'],
    [{ ttl: '60' }, 'INVALID_REQUEST'],
    [{ ttl: '60', 'content-encoding': 'aesgcm' }, 'INVALID_REQUEST'],
  ] as const)('refuses %o with %s', (headers, code) => {
    expect(rejects(() => parsePushRequest({ headers, body: aes128gcmBody() }), code)).toBe(true);
  });

  it('refuses bodies above the limit with PAYLOAD_TOO_LARGE and other methods with METHOD_NOT_FOUND', () => {
    expect(rejects(() => parsePushRequest({ headers: ok, body: aes128gcmBody(4097) }), 'PAYLOAD_TOO_LARGE')).toBe(true);
    expect(rejects(() => parsePushRequest({ method: 'PUT', headers: ok, body: aes128gcmBody() }), 'METHOD_NOT_FOUND')).toBe(true);
  });
});

describe('checkAes128gcmBody', () => {
  it('accepts the shape of an RFC 8291 message', () => {
    expect(() => checkAes128gcmBody(aes128gcmBody(103))).not.toThrow();
  });

  it.each([
    ['too short', aes128gcmBody(102)],
    ['a record size below 18', (() => { const b = aes128gcmBody(); b.set([0, 0, 0, 17], 16); return b; })()],
    ['a key id that is not a P-256 key', (() => { const b = aes128gcmBody(); b[20] = 2; return b; })()],
    ['a compressed key', (() => { const b = aes128gcmBody(); b[21] = 0x02; return b; })()],
  ])('refuses a body that is %s', (_why, body) => {
    expect(rejects(() => checkAes128gcmBody(body), 'INVALID_REQUEST')).toBe(true);
  });
});
