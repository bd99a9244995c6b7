import { isFosspushError, MAX_WEB_PUSH_PLAINTEXT_BYTES, utf8Decode } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createOutgoingMessage, DEFAULT_TTL_SECONDS, priorityToUrgency } from './outgoing.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return isFosspushError(error) ? error.code : 'not a FosspushError';
  }
  return 'no error';
};

describe('createOutgoingMessage', () => {
  it('encodes data and notification as the JSON the client SDK decrypts', () => {
    const message = createOutgoingMessage({ data: { kind: 'mail', n: '3' }, notification: { title: 'Hi' } });
    expect(JSON.parse(utf8Decode(message.plaintext))).toEqual({ data: { kind: 'mail', n: '3' }, notification: { title: 'Hi' } });
    expect(JSON.parse(utf8Decode(createOutgoingMessage({}).plaintext))).toEqual({ data: {} });
  });

  it('maps timeToLive, priority and collapseKey to TTL, Urgency and Topic, with GCM defaults', () => {
    expect(createOutgoingMessage({})).toMatchObject({ ttlSeconds: DEFAULT_TTL_SECONDS, urgency: 'normal', dryRun: false });
    expect(createOutgoingMessage({}).topic).toBeUndefined();
    const message = createOutgoingMessage({ timeToLive: 60, priority: 'high', collapseKey: 'inbox', dryRun: true });
    expect(message).toMatchObject({ ttlSeconds: 60, urgency: 'high', topic: 'inbox', dryRun: true });
    expect(createOutgoingMessage({ collapseKey: 'has spaces' }).topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('gives the app the original collapse key when the Topic carries only its hash', () => {
    expect(JSON.parse(utf8Decode(createOutgoingMessage({ collapseKey: 'new mail for alice@x.y' }).plaintext))).toEqual({
      data: {},
      collapseKey: 'new mail for alice@x.y',
    });
    expect(JSON.parse(utf8Decode(createOutgoingMessage({ collapseKey: 'inbox' }).plaintext))).toEqual({ data: {} });
  });

  it('refuses a payload over the limit with PAYLOAD_TOO_LARGE, and accepts one at the limit', () => {
    const overhead = JSON.stringify({ data: { x: '' } }).length;
    expect(createOutgoingMessage({ data: { x: 'a'.repeat(MAX_WEB_PUSH_PLAINTEXT_BYTES - overhead) } }).plaintext.length).toBe(MAX_WEB_PUSH_PLAINTEXT_BYTES);
    expect(code(() => createOutgoingMessage({ data: { x: 'a'.repeat(MAX_WEB_PUSH_PLAINTEXT_BYTES - overhead + 1) } }))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('gives bad fields typed errors', () => {
    expect(code(() => createOutgoingMessage({ timeToLive: -1 }))).toBe('INVALID_TTL');
    expect(code(() => createOutgoingMessage({ timeToLive: 2_419_201 }))).toBe('INVALID_TTL');
    expect(code(() => createOutgoingMessage({ data: { n: 3 } }))).toBe('INVALID_MESSAGE');
    expect(code(() => createOutgoingMessage({ data: ['a'] }))).toBe('INVALID_MESSAGE');
    expect(code(() => createOutgoingMessage({ data: { from: 'x' } }))).toBe('INVALID_MESSAGE');
    expect(code(() => createOutgoingMessage({ data: { 'google.sent_time': 'x' } }))).toBe('INVALID_MESSAGE');
    expect(code(() => createOutgoingMessage({ priority: 'urgent' }))).toBe('INVALID_URGENCY');
    expect(code(() => createOutgoingMessage({ collapseKey: '' }))).toBe('INVALID_TOPIC');
  });

  it('reads GCM priorities and RFC 8030 urgencies', () => {
    expect(['high', 'normal', 'low', 'very-low', 10, 5, undefined].map(priorityToUrgency)).toEqual([
      'high',
      'normal',
      'low',
      'very-low',
      'high',
      'normal',
      'normal',
    ]);
  });
});
