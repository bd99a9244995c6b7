import { describe, expect, it } from 'vitest';
import { collapseKeyToTopic } from './topic.js';

describe('collapseKeyToTopic', () => {
  it('keeps a key that is already a valid RFC 8030 topic', () => {
    expect(collapseKeyToTopic('inbox')).toBe('inbox');
    expect(collapseKeyToTopic('a'.repeat(32))).toBe('a'.repeat(32));
  });

  it('hashes other keys to 32 base64url characters, equal keys to equal topics', () => {
    for (const key of ['new mail for alice@example.org', 'a'.repeat(33), 'späť', 'x y']) {
      const topic = collapseKeyToTopic(key);
      expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(collapseKeyToTopic(key)).toBe(topic);
    }
    expect(collapseKeyToTopic('a'.repeat(33))).not.toBe(collapseKeyToTopic('a'.repeat(34)));
  });
});
