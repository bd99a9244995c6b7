import { type ChannelStateStore, createMemoryChannelState } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createChannelStateView } from './channel-state.js';

describe('channel state view', () => {
  it('stores the set, subscriptions and cursor so another view reads them back', async () => {
    const store = createMemoryChannelState();
    const view = createChannelStateView(store, () => undefined);
    expect(await view.load()).toEqual({ setUrl: undefined, subscriptions: new Map(), cursor: undefined });
    await view.saveSet('https://push.example/set/s');
    await view.saveSubscriptions(new Map([['p1', { subscriptionUrl: 'https://push.example/sub/1', endpoint: 'https://push.example/p/p1' }]]));
    view.saveCursor(5);
    view.saveCursor(9);
    await view.flush();
    const again = await createChannelStateView(store, () => undefined).load();
    expect(again).toEqual({
      setUrl: 'https://push.example/set/s',
      subscriptions: new Map([['p1', { subscriptionUrl: 'https://push.example/sub/1', endpoint: 'https://push.example/p/p1' }]]),
      cursor: 9,
    });
    await view.clear();
    expect(await createChannelStateView(store, () => undefined).load()).toEqual({ setUrl: undefined, subscriptions: new Map(), cursor: undefined });
  });

  it('stores a later cursor after saving one that was already stored', async () => {
    const store = createMemoryChannelState();
    const view = createChannelStateView(store, () => undefined);
    await view.load();
    view.saveCursor(0);
    await view.flush();
    view.saveCursor(0);
    await view.flush();
    view.saveCursor(1);
    await view.flush();
    expect(await store.get('cursor')).toBe('1');
  });

  it('coalesces cursor writes: while one is stored, only the latest value waits', async () => {
    const writes: string[] = [];
    let release: () => void = () => undefined;
    const store: ChannelStateStore = {
      get: async () => undefined,
      delete: async () => undefined,
      set: (_key, value) => {
        writes.push(value);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    };
    const view = createChannelStateView(store, () => undefined);
    view.saveCursor(1);
    view.saveCursor(2);
    view.saveCursor(3);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    await view.flush();
    expect(writes).toEqual(['1', '3']);
  });

  it('refuses corrupt state with a typed error and reports failed writes', async () => {
    const store = createMemoryChannelState();
    await store.set('subscriptions', '{"p1": 3}');
    await expect(createChannelStateView(store, () => undefined).load()).rejects.toMatchObject({ code: 'INTERNAL' });
    const failures: unknown[] = [];
    const failing: ChannelStateStore = { ...store, set: () => Promise.reject(new Error('disk full')) };
    const view = createChannelStateView(failing, (error) => failures.push(error));
    view.saveCursor(1);
    await view.flush();
    expect(failures).toHaveLength(1);
  });
});
