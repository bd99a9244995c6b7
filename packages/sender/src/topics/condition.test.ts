import { isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { conditionTopics, matchesCondition, normalizeTopic, parseCondition } from './condition.js';

const match = (source: string, topics: string[]) => matchesCondition(parseCondition(source), (topic) => topics.includes(topic));

describe('FCM conditions', () => {
  it('binds && tighter than ||, and honours parentheses', () => {
    expect(match("'a' in topics || 'b' in topics && 'c' in topics", ['a'])).toBe(true);
    expect(match("('a' in topics || 'b' in topics) && 'c' in topics", ['a'])).toBe(false);
    expect(match("'a' in topics && ('b' in topics || 'c' in topics)", ['a', 'c'])).toBe(true);
    expect(match("'a' in topics && ('b' in topics || 'c' in topics)", ['b', 'c'])).toBe(false);
    expect(match(`"a" in topics && !('b' in topics)`, ['a'])).toBe(true);
    expect(match(`"a" in topics && !('b' in topics)`, ['a', 'b'])).toBe(false);
  });

  it('names each topic once, /topics/ dropped', () => {
    expect(conditionTopics(parseCondition("'/topics/a' in topics && ('a' in topics || 'b' in topics)"))).toEqual(['a', 'b']);
    expect(normalizeTopic('/topics/news')).toBe('news');
  });

  it.each([
    '',
    "'a' in topics &&",
    "'a' in topics && ('b' in topics",
    "'a' in topics 'b' in topics",
    "'a' in topic",
    "'a b' in topics",
    "'a' in topics & 'b' in topics",
    "'a' in topics || 'b' in topics || 'c' in topics || 'd' in topics || 'e' in topics || 'f' in topics",
  ])('refuses %j as INVALID_TOPIC', (source) => {
    let thrown: unknown;
    try {
      parseCondition(source);
    } catch (error) {
      thrown = error;
    }
    expect(isFosspushError(thrown, 'INVALID_TOPIC')).toBe(true);
  });

  it('accepts five topics', () => {
    expect(conditionTopics(parseCondition("'a' in topics || 'b' in topics || 'c' in topics || 'd' in topics || 'e' in topics"))).toHaveLength(5);
  });
});
