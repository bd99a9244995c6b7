import { createMemoryStore, createPushMessage, isFosspushError, manualClock, resolveRuntime, type Store } from '@fosspush/core';
import { beforeEach, describe, expect, it } from 'vitest';
import { moveLegacyRecords } from './legacy-records.js';
import { createSubscriptions, GONE_NAMESPACE, SETS_NAMESPACE, type SubscriptionsOptions, setsOfAddressNamespace } from './subscriptions.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

describe('subscriptions over store records', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: Store;
  const node = (overrides: Partial<SubscriptionsOptions> = {}) =>
    createSubscriptions({
      store,
      runtime: resolveRuntime({ clock }),
      maxSubscriptionsPerSet: 10,
      unsubscribedRetentionMs: 24 * HOUR,
      registrationCacheMs: 0,
      pendingSetTtlMs: HOUR,
      idleSetTtlMs: 720 * HOUR,
      maxSetsPerAddress: 5,
      ...overrides,
    });
  const message = () => createPushMessage({ payload: new Uint8Array([1]), ttlSeconds: 60 }, { clock });

  beforeEach(() => {
    clock = manualClock(T0);
    store = createMemoryStore({ runtime: { clock } });
  });

  it('keeps sets and tombstones as records, so every registration is a subscription', async () => {
    const subscriptions = node();
    const { setId, pushId } = await subscriptions.create({ address: '2001:db8::/64' });
    await subscriptions.create({ setId, address: '2001:db8::/64' });
    expect(await store.getRecord(SETS_NAMESPACE, setId)).toEqual({ id: setId, value: { address: '2001:db8::/64', seen: false }, expiresAt: T0 + HOUR });
    expect(await store.countRecords(setsOfAddressNamespace('2001:db8::/64'))).toBe(1);
    expect(await subscriptions.count()).toEqual({ sets: 1, subscriptions: 2 });

    await subscriptions.remove(setId, pushId);
    expect(await store.getRecord(GONE_NAMESPACE, pushId)).toEqual({ id: pushId, value: { reason: 'unsubscribed' }, expiresAt: T0 + 24 * HOUR });
    expect(await store.countRegistrations()).toBe(1);
    expect(await subscriptions.count()).toEqual({ sets: 1, subscriptions: 1 });
    await expect(subscriptions.pushTarget(pushId)).rejects.toSatisfy((e) => isFosspushError(e, 'GONE'));
  });

  it('answers GONE to a push through a registration another node unsubscribed after this one cached it', async () => {
    const cachingNode = node({ registrationCacheMs: 10_000 });
    const otherNode = node();
    const { setId, pushId } = await otherNode.create({ address: 'a' });
    const cached = await cachingNode.pushTarget(pushId);
    expect((await cachingNode.enqueue(cached, message())).created).toBe(true);

    await otherNode.remove(setId, pushId);
    // Still served from the cache, so only the enqueue can tell.
    const stale = await cachingNode.pushTarget(pushId);
    await expect(cachingNode.enqueue(stale, message())).rejects.toSatisfy((e) => isFosspushError(e, 'GONE'));
    expect(await store.listMessages({ owner: setId })).toEqual([]);
    // The cache entry went with the GONE: the next push reads the tombstone at once.
    await expect(cachingNode.pushTarget(pushId)).rejects.toSatisfy((e) => isFosspushError(e, 'GONE'));
  });

  it('reclaims an abandoned set: its push resources answer GONE (reclaimed) and its address may make another', async () => {
    const subscriptions = node({ maxSetsPerAddress: 1 });
    const { pushId } = await subscriptions.create({ address: 'a' });
    await expect(subscriptions.create({ address: 'a' })).rejects.toSatisfy((e) => isFosspushError(e, 'PERMISSION_DENIED'));
    clock.advance(HOUR);
    expect(await subscriptions.reclaimExpired(0)).toBe(1);
    await expect(subscriptions.pushTarget(pushId)).rejects.toMatchObject({ code: 'GONE', details: { reason: 'reclaimed' } });
    expect(await store.countRecords(setsOfAddressNamespace('a'))).toBe(0);
    await subscriptions.create({ address: 'a' });
  });

  it('moves the sets and tombstones an older version kept as registrations into records', async () => {
    // As the previous version wrote them: a seen set with one subscription, a set never seen,
    // and tombstones of both kinds.
    await store.putRegistration({ id: 'set:AAAAAAAAAAAAAAAAAAAAAA', owner: 'sets', createdAt: T0, expiresAt: T0 + 720 * HOUR, data: { kind: 'set', address: 'a', seen: '1' } });
    await store.putRegistration({ id: 'a:AAAAAAAAAAAAAAAAAAAAAA', owner: 'sets@a', createdAt: T0, expiresAt: T0 + 720 * HOUR, data: {} });
    await store.putRegistration({ id: 'BBBBBBBBBBBBBBBBBBBBBB', owner: 'AAAAAAAAAAAAAAAAAAAAAA', createdAt: T0, data: {} });
    await store.putRegistration({ id: 'set:CCCCCCCCCCCCCCCCCCCCCC', owner: 'sets', createdAt: T0, expiresAt: T0 + HOUR, data: { kind: 'set', address: 'b' } });
    await store.putRegistration({ id: 'a:CCCCCCCCCCCCCCCCCCCCCC', owner: 'sets@b', createdAt: T0, expiresAt: T0 + HOUR, data: {} });
    await store.putRegistration({ id: 'DDDDDDDDDDDDDDDDDDDDDD', owner: 'unsubscribed', createdAt: T0, expiresAt: T0 + 24 * HOUR, data: { gone: 'unsubscribed' } });
    await store.putRegistration({ id: 'EEEEEEEEEEEEEEEEEEEEEE', owner: 'unsubscribed', createdAt: T0, expiresAt: T0 + 24 * HOUR, data: { gone: 'reclaimed' } });

    expect(await moveLegacyRecords(store)).toEqual({ sets: 2, tombstones: 2 });
    expect(await moveLegacyRecords(store)).toEqual({ sets: 0, tombstones: 0 });

    const subscriptions = node();
    expect(await subscriptions.setExists('AAAAAAAAAAAAAAAAAAAAAA')).toBe(true);
    expect(await store.getRecord(SETS_NAMESPACE, 'AAAAAAAAAAAAAAAAAAAAAA')).toEqual({
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
      value: { address: 'a', seen: true },
      expiresAt: T0 + 720 * HOUR,
    });
    expect(await store.getRecord(SETS_NAMESPACE, 'CCCCCCCCCCCCCCCCCCCCCC')).toMatchObject({ value: { address: 'b', seen: false }, expiresAt: T0 + HOUR });
    expect(await store.countRecords(setsOfAddressNamespace('a'))).toBe(1);
    expect((await subscriptions.pushTarget('BBBBBBBBBBBBBBBBBBBBBB')).owner).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    await expect(subscriptions.pushTarget('DDDDDDDDDDDDDDDDDDDDDD')).rejects.toMatchObject({ code: 'GONE', details: { reason: 'unsubscribed' } });
    await expect(subscriptions.pushTarget('EEEEEEEEEEEEEEEEEEEEEE')).rejects.toMatchObject({ code: 'GONE', details: { reason: 'reclaimed' } });
    // Only the subscription is left among the registrations, and the counts are right again.
    expect(await store.countRegistrations()).toBe(1);
    expect(await subscriptions.count()).toEqual({ sets: 2, subscriptions: 1 });
    // The set that was never seen still expires on its old deadline.
    clock.advance(HOUR);
    expect(await subscriptions.reclaimExpired(0)).toBe(1);
    expect(await subscriptions.setExists('CCCCCCCCCCCCCCCCCCCCCC')).toBe(false);
  });
});
