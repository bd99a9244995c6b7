import { createPushMessage, FosspushError, toBase64Url } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { DHT_LIMITS, macKeyFor, openDhtValue, sealDhtValue } from './value.js';

const HASH = 'a'.repeat(40);
const secret = toBase64Url(new Uint8Array(32).fill(7));
const otherSecret = toBase64Url(new Uint8Array(32).fill(8));
const NOW = 1_800_000_000_000;

async function sealed(overrides: { ttlSeconds?: number; sentAt?: number; payload?: Uint8Array } = {}, vapid?: string) {
  const message = createPushMessage({ payload: overrides.payload ?? new Uint8Array([1, 2, 3]), ttlSeconds: overrides.ttlSeconds ?? 60, topic: 'news', sentAt: overrides.sentAt ?? NOW });
  return { message, value: await sealDhtValue(message, await macKeyFor(secret, HASH), new Uint8Array(8).fill(1), vapid) };
}

async function reason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(FosspushError);
  return `${(error as FosspushError).code}:${String((error as FosspushError).details?.['reason'])}`;
}

describe('DHT values', () => {
  it('round-trips a message with its metadata and VAPID header', async () => {
    const { message, value } = await sealed({}, 'vapid t=x, k=y');
    expect(value.type).toBe(0);
    expect(value.id).toMatch(/^[1-9][0-9]*$/);
    const opened = await openDhtValue(value, await macKeyFor(secret, HASH), NOW + 1000);
    expect(opened.message).toEqual(message);
    expect(opened.vapid).toBe('vapid t=x, k=y');
  });

  it('refuses a value sealed with another secret, or for another key', async () => {
    const { value } = await sealed();
    expect(await reason(openDhtValue(value, await macKeyFor(otherSecret, HASH), NOW))).toMatch(/^UNAUTHENTICATED:/);
    expect(await reason(openDhtValue(value, await macKeyFor(secret, 'b'.repeat(40)), NOW))).toMatch(/^UNAUTHENTICATED:/);
  });

  it('refuses a value whose payload or TTL was altered', async () => {
    const { value } = await sealed();
    const envelope = JSON.parse(atob(value.data));
    for (const change of [{ payload: toBase64Url(new Uint8Array([9])) }, { ttl: 600 }]) {
      const altered = { ...value, data: btoa(JSON.stringify({ ...envelope, ...change })) };
      expect(await reason(openDhtValue(altered, await macKeyFor(secret, HASH), NOW))).toMatch(/^UNAUTHENTICATED:/);
    }
  });

  it('caps the TTL at the DHT lifetime and drops expired values', async () => {
    const { value } = await sealed({ ttlSeconds: 3600 });
    const key = await macKeyFor(secret, HASH);
    expect((await openDhtValue(value, key, NOW)).message.ttlSeconds).toBe(DHT_LIMITS.maxTtlSeconds);
    expect(await reason(openDhtValue(value, key, NOW + DHT_LIMITS.maxTtlSeconds * 1000 + 1))).toBe('EXPIRED:past its TTL');
  });

  it('drops values from the future and garbage, with a reason', async () => {
    const key = await macKeyFor(secret, HASH);
    const { value } = await sealed({ sentAt: NOW + DHT_LIMITS.maxClockSkewMs + 1 });
    expect(await reason(openDhtValue(value, key, NOW))).toBe('INVALID_MESSAGE:sent in the future');
    expect(await reason(openDhtValue({ data: 'not base64!' }, key, NOW))).toBe('INVALID_MESSAGE:data is not base64 JSON');
    expect(await reason(openDhtValue({ data: btoa('{"v":2}') }, key, NOW))).toBe('INVALID_MESSAGE:unknown envelope version');
    expect(await reason(openDhtValue({}, key, NOW))).toBe('INVALID_MESSAGE:no data');
  });

  it('drops an authenticated payload over the Web Push limit', async () => {
    const key = await macKeyFor(secret, HASH);
    const message = { ...createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60, sentAt: NOW }), payload: new Uint8Array(4097) };
    const value = await sealDhtValue(message, key, new Uint8Array(8));
    expect(await reason(openDhtValue(value, key, NOW))).toBe('PAYLOAD_TOO_LARGE:payload of 4097 bytes');
  });
});
