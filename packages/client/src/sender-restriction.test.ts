import { generateVapidKeys, isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { isVapidPublicKey, senderRestriction } from './sender-restriction.js';

describe('senderRestriction', async () => {
  const key = (await generateVapidKeys()).publicKey;
  const other = (await generateVapidKeys()).publicKey;
  const conflict = (e: unknown) => isFosspushError(e, 'INVALID_REQUEST');

  it('recognises a VAPID public key and nothing else', () => {
    expect(isVapidPublicKey(key)).toBe(true);
    expect(isVapidPublicKey('123456789')).toBe(false);
    // 87 characters that are not an uncompressed point (first byte not 0x04).
    expect(isVapidPublicKey(`A${key.slice(1)}`)).toBe(false);
    expect(isVapidPublicKey(`${key}=`)).toBe(false);
  });

  it('restricts to a key given as the sender id, and not for numeric ids', () => {
    expect(senderRestriction([key])).toBe(key);
    expect(senderRestriction(['123456789'])).toBeUndefined();
    expect(senderRestriction(['1', '2'])).toBeUndefined();
  });

  it('an explicit key wins, but may not contradict a key among the ids', () => {
    expect(senderRestriction(['123456789'], key)).toBe(key);
    expect(senderRestriction([key], key)).toBe(key);
    expect(() => senderRestriction([other], key)).toThrow();
  });

  it('refuses a key mixed with other senders: the restriction would lock them out', () => {
    expect(() => senderRestriction([key, '123'])).toSatisfy((f: () => unknown) => {
      try {
        f();
        return false;
      } catch (error) {
        return conflict(error);
      }
    });
    expect(() => senderRestriction([key, other])).toThrow(/exactly one key/);
  });
});
