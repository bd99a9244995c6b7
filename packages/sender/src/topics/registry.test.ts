import { createMemoryStore, isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { fakeToken } from '../../test/fake-transport.js';
import { createTopicRegistry } from './registry.js';

describe('topic registry over a core Store', () => {
  it('keeps one registration per membership under the topic owner, and a backlink per token', async () => {
    const store = createMemoryStore();
    const registry = createTopicRegistry({ kind: 'custom', store });
    const outcomes = await registry.subscribe([fakeToken(1), 'not a token', fakeToken(2)], '/topics/news');
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
    expect((await store.listRegistrations('fosspush-topic:news')).map((r) => r.data['token']).sort()).toEqual([fakeToken(1), fakeToken(2)].sort());
    expect(await registry.resolve({ topic: 'news' })).toHaveLength(2);
  });

  it('evaluates conditions as set algebra over membership', async () => {
    const registry = createTopicRegistry({ kind: 'memory' });
    await registry.subscribe([fakeToken(1), fakeToken(2), fakeToken(3)], 'a');
    await registry.subscribe([fakeToken(2), fakeToken(4)], 'b');
    await registry.subscribe([fakeToken(3), fakeToken(5)], 'c');
    const resolved = await registry.resolve({ condition: "'a' in topics && ('b' in topics || 'c' in topics)" });
    expect(resolved.sort()).toEqual([fakeToken(2), fakeToken(3)].sort());
    expect((await registry.resolve({ condition: "'b' in topics || 'c' in topics && 'a' in topics" })).sort()).toEqual(
      [fakeToken(2), fakeToken(3), fakeToken(4)].sort(),
    );
    await registry.close();
  });

  it('unsubscribes, and forgets a token from every topic', async () => {
    const registry = createTopicRegistry({ kind: 'memory' });
    await registry.subscribe([fakeToken(1), fakeToken(2)], 'a');
    await registry.subscribe([fakeToken(1)], 'b');
    await registry.unsubscribe([fakeToken(2)], 'a');
    expect(await registry.resolve({ topic: 'a' })).toEqual([fakeToken(1)]);
    await registry.forget(fakeToken(1));
    expect(await registry.resolve({ condition: "'a' in topics || 'b' in topics" })).toEqual([]);
  });

  it('refuses a bad topic name, an empty call and more than 1000 tokens', async () => {
    const registry = createTopicRegistry({ kind: 'memory' });
    const refusal = async (call: Promise<unknown>) => call.then(() => undefined, (error: unknown) => error);
    expect(isFosspushError(await refusal(registry.subscribe([fakeToken(1)], 'bad topic')), 'INVALID_TOPIC')).toBe(true);
    expect(isFosspushError(await refusal(registry.subscribe([], 'a')), 'INVALID_MESSAGE')).toBe(true);
    expect(isFosspushError(await refusal(registry.subscribe(Array.from({ length: 1001 }, (_, i) => fakeToken(i)), 'a')), 'INVALID_MESSAGE')).toBe(true);
  });
});
