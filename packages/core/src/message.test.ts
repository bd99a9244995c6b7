import { describe, expect, it } from 'vitest';
import { isFosspushError } from './errors.js';
import { createPushMessage, expiresAt, PUSH_LIMITS } from './message.js';
import { manualClock } from './runtime.js';

const code = (fn: () => unknown) => {
  try {
    fn();
    return 'none';
  } catch (error) {
    return isFosspushError(error) ? error.code : 'untyped';
  }
};

describe('push message', () => {
  it('fills in id, urgency and sent time from the injected runtime', () => {
    const clock = manualClock(1234);
    const message = createPushMessage({ payload: new Uint8Array(10), ttlSeconds: 60 }, { clock, random: { bytes: (n) => new Uint8Array(n) } });
    expect(message).toEqual({ id: 'AAAAAAAAAAAAAAAAAAAAAA', payload: new Uint8Array(10), ttlSeconds: 60, urgency: 'normal', sentAt: 1234 });
    expect(expiresAt(message)).toBe(61_234);
  });

  it('makes unique ids by default', () => {
    const ids = new Set(Array.from({ length: 100 }, () => createPushMessage({ payload: new Uint8Array(), ttlSeconds: 0 }).id));
    expect(ids.size).toBe(100);
  });

  it('accepts the limits exactly', () => {
    const message = createPushMessage({
      payload: new Uint8Array(PUSH_LIMITS.maxPayloadBytes),
      ttlSeconds: PUSH_LIMITS.maxTtlSeconds,
      urgency: 'very-low',
      topic: 'a'.repeat(32),
    });
    expect(message.topic).toHaveLength(32);
  });

  it.each([
    ['PAYLOAD_TOO_LARGE', { payload: new Uint8Array(4097), ttlSeconds: 1 }],
    ['INVALID_MESSAGE', { payload: 'text', ttlSeconds: 1 }],
    ['INVALID_TTL', { payload: new Uint8Array(), ttlSeconds: -1 }],
    ['INVALID_TTL', { payload: new Uint8Array(), ttlSeconds: 2_419_201 }],
    ['INVALID_TTL', { payload: new Uint8Array(), ttlSeconds: 1.5 }],
    ['INVALID_URGENCY', { payload: new Uint8Array(), ttlSeconds: 1, urgency: 'urgent' }],
    ['INVALID_TOPIC', { payload: new Uint8Array(), ttlSeconds: 1, topic: 'a'.repeat(33) }],
    ['INVALID_TOPIC', { payload: new Uint8Array(), ttlSeconds: 1, topic: 'has space' }],
    ['INVALID_TOPIC', { payload: new Uint8Array(), ttlSeconds: 1, topic: '' }],
    ['INVALID_MESSAGE', { payload: new Uint8Array(), ttlSeconds: 1, id: 'no/slash' }],
  ])('rejects bad input with %s', (expected, input) => {
    expect(code(() => createPushMessage(input as never))).toBe(expected);
  });
});
