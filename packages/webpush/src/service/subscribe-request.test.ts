import { generateVapidKeys, isFosspushError, utf8Encode } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { parseSubscribeRequest, WEBPUSH_OPTIONS_CONTENT_TYPE } from './subscribe-request.js';

const json = (value: unknown) => utf8Encode(JSON.stringify(value));
const code = async (promise: Promise<unknown>) => promise.then(() => 'resolved', (error) => (isFosspushError(error) ? error.code : 'other'));

describe('parseSubscribeRequest', () => {
  it('accepts an empty request', async () => {
    expect(await parseSubscribeRequest({ headers: {}, body: new Uint8Array(0) })).toEqual({});
  });

  it('reads the set link and a valid VAPID key', async () => {
    const { publicKey } = await generateVapidKeys();
    const parsed = await parseSubscribeRequest({
      headers: { link: '</set/abc>; rel="urn:ietf:params:push:set"', 'content-type': WEBPUSH_OPTIONS_CONTENT_TYPE },
      body: json({ vapid: publicKey }),
    });
    expect(parsed).toEqual({ setUri: '/set/abc', vapidPublicKey: publicKey });
  });

  it('refuses a key off the curve, a wrong type, bad JSON and an oversized body', async () => {
    const headers = { 'content-type': WEBPUSH_OPTIONS_CONTENT_TYPE };
    const offCurve = `BA${'A'.repeat(85)}`;
    expect(await code(parseSubscribeRequest({ headers, body: json({ vapid: offCurve }) }))).toBe('INVALID_KEY');
    expect(await code(parseSubscribeRequest({ headers, body: json({ vapid: 'short' }) }))).toBe('INVALID_KEY');
    expect(await code(parseSubscribeRequest({ headers, body: json({ vapid: 42 }) }))).toBe('INVALID_REQUEST');
    expect(await code(parseSubscribeRequest({ headers, body: utf8Encode('{nope') }))).toBe('INVALID_REQUEST');
    expect(await code(parseSubscribeRequest({ headers: { 'content-type': 'text/plain' }, body: json({}) }))).toBe('INVALID_REQUEST');
    expect(await code(parseSubscribeRequest({ headers, body: new Uint8Array(2000) }))).toBe('PAYLOAD_TOO_LARGE');
  });
});
