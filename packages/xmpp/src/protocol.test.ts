import { isFosspushError } from '@fosspush/core';
import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import { parsePush, parseRegistered, UNIFIED_PUSH_NS } from './protocol.js';

const push = (attrs: Record<string, string>, body: string) => xml('push', { xmlns: UNIFIED_PUSH_NS, ...attrs }, body);

describe('UnifiedPush over XMPP stanzas', () => {
  it('reads a push body and its instance', () => {
    const parsed = parsePush(push({ instance: 'i', application: 'a' }, Buffer.from('hi').toString('base64')));
    expect(parsed.instance).toBe('i');
    expect(Buffer.from(parsed.payload).toString()).toBe('hi');
  });

  it('refuses a push without instance, with a body that is not base64, or over 4096 bytes', () => {
    expect(() => parsePush(push({ application: 'a' }, 'AAAA'))).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE' }));
    expect(() => parsePush(push({ instance: 'i', application: 'a' }, 'no!'))).toThrow(expect.objectContaining({ code: 'INVALID_MESSAGE' }));
    const oversized = Buffer.alloc(4097).toString('base64');
    try {
      parsePush(push({ instance: 'i', application: 'a' }, oversized));
      expect.unreachable();
    } catch (error) {
      expect(isFosspushError(error, 'PAYLOAD_TOO_LARGE')).toBe(true);
    }
    expect(parsePush(push({ instance: 'i', application: 'a' }, Buffer.alloc(4096).toString('base64'))).payload).toHaveLength(4096);
  });

  it('reads a registered answer and refuses one without a URL endpoint or expiration', () => {
    const ok = xml('registered', { xmlns: UNIFIED_PUSH_NS, endpoint: 'https://x.example/push/t', expiration: '2026-12-04T10:00:00Z' });
    expect(parseRegistered(ok)).toEqual({ endpoint: 'https://x.example/push/t', expiresAt: Date.parse('2026-12-04T10:00:00Z') });
    expect(() => parseRegistered(xml('registered', { xmlns: UNIFIED_PUSH_NS, endpoint: 'nope', expiration: '2026-12-04T10:00:00Z' }))).toThrow(/not a URL/);
    expect(() => parseRegistered(xml('registered', { xmlns: UNIFIED_PUSH_NS, endpoint: 'https://x.example/p' }))).toThrow(/expiration/);
    expect(() => parseRegistered(undefined)).toThrow(expect.objectContaining({ code: 'PROTOCOL_ERROR' }));
  });
});
