import { createPushMessage, isFosspushError, manualClock, type Registration, type Store, type StoreRecord } from '@fosspush/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface StoreHarness {
  /** A fresh, empty store driven by the given clock. */
  create(clock: { now(): number }): Promise<Store> | Store;
  /** The driver offers the synchronous fast path, `enqueueSync` and `ackSync`. @default false */
  synchronous?: boolean;
}

const T0 = 1_700_000_000_000;

/**
 * The behaviour every Store driver must have. Drivers call this from their own test file:
 * `describeStoreConformance('sqlite', { create: (clock) => createSqliteStore({ runtime: { clock } }) })`.
 */
export function describeStoreConformance(driver: string, harness: StoreHarness): void {
  describe(`Store conformance: ${driver}`, () => {
    let clock: ReturnType<typeof manualClock>;
    let store: Store;

    const registration = (id: string, owner = 'device-1', extra: Partial<Registration> = {}): Registration => ({
      id,
      owner,
      createdAt: clock.now(),
      data: { vapid: 'key-' + id },
      ...extra,
    });
    const message = (input: { id?: string; ttlSeconds?: number; topic?: string; payload?: number[] } = {}) =>
      createPushMessage(
        {
          payload: new Uint8Array(input.payload ?? [1, 2, 3]),
          ttlSeconds: input.ttlSeconds ?? 60,
          id: input.id,
          topic: input.topic,
        },
        { clock },
      );

    beforeEach(async () => {
      clock = manualClock(T0);
      store = await harness.create(clock);
    });
    afterEach(async () => {
      await store.close();
    });

    describe('registrations', () => {
      it('stores, lists by owner, and deletes', async () => {
        await store.putRegistration(registration('a'));
        await store.putRegistration(registration('b'));
        await store.putRegistration(registration('c', 'device-2'));
        expect(await store.getRegistration('a')).toEqual(registration('a'));
        expect((await store.listRegistrations('device-1')).map((r) => r.id).sort()).toEqual(['a', 'b']);
        expect(await store.deleteRegistration('a')).toBe(true);
        expect(await store.deleteRegistration('a')).toBe(false);
        expect(await store.getRegistration('a')).toBeUndefined();
      });

      it('updates a registration in place', async () => {
        await store.putRegistration(registration('a'));
        await store.putRegistration(registration('a', 'device-1', { data: { vapid: 'rotated' } }));
        expect((await store.getRegistration('a'))?.data).toEqual({ vapid: 'rotated' });
      });

      it('hides and purges expired registrations', async () => {
        await store.putRegistration(registration('a', 'device-1', { expiresAt: T0 + 1000 }));
        expect(await store.getRegistration('a')).toBeDefined();
        clock.advance(1000);
        expect(await store.getRegistration('a')).toBeUndefined();
        expect(await store.listRegistrations('device-1')).toEqual([]);
        await store.purgeExpired();
        await expect(store.enqueue('a', message())).rejects.toSatisfy((e) => isFosspushError(e, 'NOT_FOUND'));
      });

      it('counts registrations by owner and in all, expired ones gone after a purge', async () => {
        await store.putRegistration(registration('a'));
        await store.putRegistration(registration('b'));
        await store.putRegistration(registration('c', 'device-2'));
        await store.putRegistration(registration('d', 'device-1', { expiresAt: T0 + 1000 }));
        expect(await store.countRegistrations('device-1')).toBe(3);
        expect(await store.countRegistrations()).toBe(4);
        expect(await store.countRegistrations('nobody')).toBe(0);
        clock.advance(1000);
        await store.purgeExpired();
        expect(await store.countRegistrations('device-1')).toBe(2);
        await store.deleteRegistration('c');
        expect(await store.countRegistrations()).toBe(2);
      });

      it('lists what an owner has expiring by a time, soonest first, until the purge', async () => {
        await store.putRegistration(registration('late', 'sets', { expiresAt: T0 + 3000 }));
        await store.putRegistration(registration('soon', 'sets', { expiresAt: T0 + 1000 }));
        await store.putRegistration(registration('never', 'sets'));
        await store.putRegistration(registration('other', 'device-1', { expiresAt: T0 + 500 }));
        const ids = async (before: number, limit = 10) => (await store.listExpiringRegistrations('sets', before, limit)).map((r) => r.id);
        expect(await ids(T0 + 5000)).toEqual(['soon', 'late']);
        expect(await ids(T0 + 5000, 1)).toEqual(['soon']);
        expect(await ids(T0 + 999)).toEqual([]);
        expect((await store.listExpiringRegistrations('sets', T0 + 1000, 10))[0]).toEqual(registration('soon', 'sets', { expiresAt: T0 + 1000 }));
        clock.advance(2000);
        // Expired but not yet purged: still listed, so a caller can act before the purge.
        expect(await ids(T0 + 2000)).toEqual(['soon']);
        await store.purgeExpired();
        expect(await ids(T0 + 5000)).toEqual(['late']);
      });

      it('deleting a registration drops its queued messages', async () => {
        await store.putRegistration(registration('a'));
        const { message: queued } = await store.enqueue('a', message());
        await store.deleteRegistration('a');
        expect(await store.getMessage(queued.id)).toBeUndefined();
        expect(await store.listMessages({ owner: 'device-1' })).toEqual([]);
      });
    });

    describe('messages', () => {
      beforeEach(async () => {
        await store.putRegistration(registration('a'));
        await store.putRegistration(registration('b'));
        await store.putRegistration(registration('other', 'device-2'));
      });

      it('round-trips every field and assigns increasing seqs', async () => {
        const first = await store.enqueue('a', message({ payload: [0, 255, 7], topic: 'inbox' }));
        const second = await store.enqueue('b', message());
        expect(first.created).toBe(true);
        expect(second.message.seq).toBeGreaterThan(first.message.seq);
        const [stored] = await store.listMessages({ registrationId: 'a' });
        expect(stored).toEqual(first.message);
        expect(stored?.payload).toEqual(new Uint8Array([0, 255, 7]));
        expect(stored?.expiresAt).toBe(T0 + 60_000);
        expect(stored?.owner).toBe('device-1');
      });

      it('rejects messages for unknown registrations with NOT_FOUND', async () => {
        await expect(store.enqueue('missing', message())).rejects.toSatisfy((e) => isFosspushError(e, 'NOT_FOUND'));
      });

      it('is idempotent on message id', async () => {
        const first = await store.enqueue('a', message({ id: 'same' }));
        const again = await store.enqueue('a', message({ id: 'same', payload: [9] }));
        expect(again.created).toBe(false);
        expect(again.message).toEqual(first.message);
        expect(await store.listMessages({ owner: 'device-1' })).toHaveLength(1);
      });

      it('lists by owner or registration, after a cursor, in seq order, with a limit', async () => {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await store.enqueue(i % 2 ? 'a' : 'b', message())).message.id);
        await store.enqueue('other', message());
        const all = await store.listMessages({ owner: 'device-1' });
        expect(all.map((m) => m.id)).toEqual(ids);
        const cursor = all[1]?.seq;
        expect((await store.listMessages({ owner: 'device-1', afterSeq: cursor })).map((m) => m.id)).toEqual(ids.slice(2));
        expect((await store.listMessages({ owner: 'device-1', limit: 2 })).map((m) => m.id)).toEqual(ids.slice(0, 2));
        expect((await store.listMessages({ registrationId: 'a' })).map((m) => m.id)).toEqual([ids[1], ids[3]]);
        expect(await store.listMessages({ owner: 'device-2' })).toHaveLength(1);
      });

      it('acks exactly once', async () => {
        const { message: queued } = await store.enqueue('a', message());
        expect(await store.getMessage(queued.id)).toEqual(queued);
        expect(await store.ack(queued.id)).toBe(true);
        expect(await store.ack(queued.id)).toBe(false);
        expect(await store.getMessage(queued.id)).toBeUndefined();
      });

      it('never reuses a seq, even after the newest message is acked', async () => {
        const first = await store.enqueue('a', message());
        await store.ack(first.message.id);
        const second = await store.enqueue('a', message());
        expect(second.message.seq).toBeGreaterThan(first.message.seq);
      });

      it('replaces a queued message with the same topic on the same registration only', async () => {
        const first = await store.enqueue('a', message({ topic: 'news' }));
        const onB = await store.enqueue('b', message({ topic: 'news' }));
        const second = await store.enqueue('a', message({ topic: 'news', payload: [42] }));
        expect(second.replacedId).toBe(first.message.id);
        expect(await store.getMessage(first.message.id)).toBeUndefined();
        expect(await store.getMessage(onB.message.id)).toBeDefined();
        const forA = await store.listMessages({ registrationId: 'a' });
        expect(forA.map((m) => m.payload)).toEqual([new Uint8Array([42])]);
      });

      it('expires messages by TTL and purges them', async () => {
        await store.enqueue('a', message({ ttlSeconds: 10 }));
        const lasting = await store.enqueue('a', message({ ttlSeconds: 100 }));
        clock.advance(10_000);
        expect((await store.listMessages({ owner: 'device-1' })).map((m) => m.id)).toEqual([lasting.message.id]);
        expect(await store.purgeExpired()).toBe(1);
        expect(await store.purgeExpired()).toBe(0);
      });

      it('treats a TTL of 0 as already expired', async () => {
        const { message: queued } = await store.enqueue('a', message({ ttlSeconds: 0 }));
        expect(await store.getMessage(queued.id)).toBeUndefined();
      });
    });

    it(`offers the synchronous fast path ${harness.synchronous ? 'in full' : 'not at all'}`, () => {
      expect([typeof store.enqueueSync, typeof store.ackSync]).toEqual(harness.synchronous ? ['function', 'function'] : ['undefined', 'undefined']);
    });

    if (harness.synchronous) {
      describe('synchronous fast path', () => {
        const sync = () => store as Store & Required<Pick<Store, 'enqueueSync' | 'ackSync'>>;
        beforeEach(async () => {
          await store.putRegistration(registration('a'));
          await store.putRegistration(registration('b'));
        });

        it('enqueueSync has stored the message when it returns, in the one seq order enqueue uses', async () => {
          const first = sync().enqueueSync('a', message({ payload: [0, 255, 7] }));
          expect(first).not.toBeInstanceOf(Promise);
          expect(first.created).toBe(true);
          expect(first.message.owner).toBe('device-1');
          expect(first.message.expiresAt).toBe(T0 + 60_000);
          expect(await store.getMessage(first.message.id)).toEqual(first.message);
          const second = await store.enqueue('b', message());
          const third = sync().enqueueSync('a', message());
          expect(second.message.seq).toBeGreaterThan(first.message.seq);
          expect(third.message.seq).toBeGreaterThan(second.message.seq);
          expect((await store.listMessages({ owner: 'device-1' })).map((m) => m.id)).toEqual([first.message.id, second.message.id, third.message.id]);
        });

        it('enqueueSync is idempotent on the id and replaces by topic, as enqueue is', async () => {
          const first = await store.enqueue('a', message({ id: 'same', topic: 'news' }));
          const again = sync().enqueueSync('a', message({ id: 'same', payload: [9] }));
          expect(again).toEqual({ message: first.message, created: false });
          const replacing = sync().enqueueSync('a', message({ topic: 'news', payload: [42] }));
          expect(replacing.replacedId).toBe('same');
          expect((await store.listMessages({ registrationId: 'a' })).map((m) => m.payload)).toEqual([new Uint8Array([42])]);
        });

        it('enqueueSync throws NOT_FOUND for an unknown registration, and CLOSED after close', async () => {
          expect(() => sync().enqueueSync('missing', message())).toThrow(expect.toSatisfy((e) => isFosspushError(e, 'NOT_FOUND')));
          await store.close();
          expect(() => sync().enqueueSync('a', message())).toThrow(expect.toSatisfy((e) => isFosspushError(e, 'CLOSED')));
          expect(() => sync().ackSync('any')).toThrow(expect.toSatisfy((e) => isFosspushError(e, 'CLOSED')));
        });

        it('ackSync removes a message exactly once, whichever way it was queued or is acked', async () => {
          const viaAsync = await store.enqueue('a', message());
          const viaSync = sync().enqueueSync('a', message());
          expect(sync().ackSync(viaAsync.message.id)).toBe(true);
          expect(await store.ack(viaAsync.message.id)).toBe(false);
          expect(await store.ack(viaSync.message.id)).toBe(true);
          expect(sync().ackSync(viaSync.message.id)).toBe(false);
          expect(await store.listMessages({ owner: 'device-1' })).toEqual([]);
        });
      });
    }

    describe('seen ids', () => {
      it('reports the first sighting, then replays until the entry expires', async () => {
        expect(await store.markSeen('app:m1', T0 + 5000)).toBe(true);
        expect(await store.markSeen('app:m1', T0 + 5000)).toBe(false);
        expect(await store.markSeen('app:m2', T0 + 5000)).toBe(true);
        clock.advance(5000);
        expect(await store.markSeen('app:m1', T0 + 10_000)).toBe(true);
        await store.purgeExpired();
      });
    });

    describe('enqueue with a seen mark (enqueueUnseen)', () => {
      const mark = (key: string, expiresAt = T0 + 60_000) => ({ key, expiresAt });
      beforeEach(async () => {
        await store.putRegistration(registration('a'));
        await store.putRegistration(registration('b'));
      });

      it('enqueues and marks the key in one call; the key then stops another enqueue', async () => {
        const first = await store.enqueueUnseen('a', message({ payload: [7] }), mark('a/1'));
        expect(first?.created).toBe(true);
        expect(await store.getMessage(first?.message.id ?? '')).toEqual(first?.message);
        expect(await store.enqueueUnseen('a', message(), mark('a/1'))).toBeUndefined();
        expect(await store.markSeen('a/1', T0 + 60_000)).toBe(false);
        expect((await store.listMessages({ owner: 'device-1' })).map((m) => m.id)).toEqual([first?.message.id]);
      });

      it('changes nothing for a key already seen: no topic replacement, no new seq', async () => {
        const queued = await store.enqueue('a', message({ topic: 'score', payload: [2] }));
        await store.markSeen('a/old', T0 + 60_000);
        expect(await store.enqueueUnseen('a', message({ id: 'old', topic: 'score', payload: [1] }), mark('a/old'))).toBeUndefined();
        expect(await store.listMessages({ registrationId: 'a' })).toEqual([queued.message]);
        const next = await store.enqueue('b', message());
        expect(next.message.seq).toBe(queued.message.seq + 1);
      });

      it('marks nothing when the enqueue is refused, even beside other writes committed with it', async () => {
        await store.putRegistration(registration('brief', 'device-1', { expiresAt: T0 + 1000 }));
        clock.advance(1000);
        const calls = await Promise.allSettled([
          store.enqueueUnseen('missing', message(), mark('missing/1')),
          store.enqueueUnseen('a', message(), mark('a/1')),
          store.enqueueUnseen('brief', message(), mark('brief/1')),
          store.markSeen('other', T0 + 60_000),
        ]);
        expect(calls.map((call) => call.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
        for (const refused of [calls[0], calls[2]]) expect(refused).toSatisfy((c: PromiseSettledResult<unknown>) => c.status === 'rejected' && isFosspushError(c.reason, 'NOT_FOUND'));
        expect(await store.markSeen('missing/1', T0 + 60_000)).toBe(true);
        expect(await store.markSeen('brief/1', T0 + 60_000)).toBe(true);
        expect(await store.markSeen('a/1', T0 + 60_000)).toBe(false);
      });

      it('enqueues once for two concurrent calls with one key', async () => {
        const results = await Promise.all([store.enqueueUnseen('a', message(), mark('a/x')), store.enqueueUnseen('a', message(), mark('a/x'))]);
        expect(results.filter((result) => result !== undefined)).toHaveLength(1);
        expect(await store.listMessages({ registrationId: 'a' })).toHaveLength(1);
      });

      it('returns an id already queued unchanged, marked only when it is queued for that registration', async () => {
        const queued = await store.enqueue('a', message({ id: 'same' }));
        expect(await store.enqueueUnseen('a', message({ id: 'same', payload: [9] }), mark('a/same'))).toEqual({ message: queued.message, created: false });
        expect(await store.markSeen('a/same', T0 + 60_000)).toBe(false);
        const elsewhere = await store.enqueueUnseen('b', message({ id: 'same' }), mark('b/same'));
        expect(elsewhere?.message.registrationId).toBe('a');
        expect(await store.markSeen('b/same', T0 + 60_000)).toBe(true);
      });

      it('replaces by topic as enqueue does, and forgets the key when its mark expires', async () => {
        const first = await store.enqueueUnseen('a', message({ topic: 'news' }), mark('a/1', T0 + 5000));
        const second = await store.enqueueUnseen('a', message({ topic: 'news', payload: [42] }), mark('a/2', T0 + 5000));
        expect(second?.replacedId).toBe(first?.message.id);
        clock.advance(5000);
        const again = await store.enqueueUnseen('a', message(), mark('a/1', T0 + 10_000));
        expect(again?.created).toBe(true);
        expect((await store.listMessages({ registrationId: 'a' })).map((m) => m.id)).toEqual([second?.message.id, again?.message.id]);
      });
    });

    describe('records', () => {
      const ids = (records: readonly StoreRecord[]) => records.map((r) => r.id);

      it('stores JSON values by namespace and id, replaces and deletes them', async () => {
        const value = { address: '2001:db8::/64', seen: true, count: 3, tags: ['a', null], nested: { empty: {} } };
        await store.putRecord('sets', { id: 's1', value });
        await store.putRecord('apps', { id: 's1', value: 'a secret digest' });
        expect(await store.getRecord('sets', 's1')).toEqual({ id: 's1', value });
        expect(await store.getRecord('apps', 's1')).toEqual({ id: 's1', value: 'a secret digest' });
        expect(await store.getRecord('sets', 'missing')).toBeUndefined();
        expect(await store.getRecord('other', 's1')).toBeUndefined();
        await store.putRecord('sets', { id: 's1', value: 7 });
        expect(await store.getRecord('sets', 's1')).toEqual({ id: 's1', value: 7 });
        expect(await store.deleteRecord('sets', 's1')).toBe(true);
        expect(await store.deleteRecord('sets', 's1')).toBe(false);
        expect(await store.getRecord('sets', 's1')).toBeUndefined();
        expect(await store.getRecord('apps', 's1')).toBeDefined();
      });

      it('keeps a copy: changing the value after the put changes nothing stored', async () => {
        const value = { list: [1] };
        await store.putRecord('ns', { id: 'r', value });
        value.list.push(2);
        expect((await store.getRecord('ns', 'r'))?.value).toEqual({ list: [1] });
      });

      it('lists and counts one namespace in id order, and keeps records apart from registrations', async () => {
        for (const id of ['b', 'a', 'c']) await store.putRecord('state/imap', { id, value: id.toUpperCase() });
        await store.putRecord('state/imap2', { id: 'z', value: null });
        await store.putRegistration(registration('a', 'state/imap'));
        expect(await store.listRecords('state/imap')).toEqual([
          { id: 'a', value: 'A' },
          { id: 'b', value: 'B' },
          { id: 'c', value: 'C' },
        ]);
        expect(await store.countRecords('state/imap')).toBe(3);
        expect(await store.countRecords('nothing')).toBe(0);
        expect(await store.listRecords('nothing')).toEqual([]);
        // A record is no registration: no owner query finds it, and no message can be queued for it.
        expect(ids(await store.listRecords('state/imap2'))).toEqual(['z']);
        expect((await store.listRegistrations('state/imap')).map((r) => r.id)).toEqual(['a']);
        expect(await store.countRegistrations()).toBe(1);
        await expect(store.enqueue('z', message())).rejects.toSatisfy((e) => isFosspushError(e, 'NOT_FOUND'));
        // Deleting the registration leaves the record of the same id alone, and the other way round.
        await store.deleteRegistration('a');
        expect(await store.getRecord('state/imap', 'a')).toEqual({ id: 'a', value: 'A' });
      });

      it('hides expired records, lists those expiring by a time soonest first, and purges them', async () => {
        await store.putRecord('sets', { id: 'late', value: 1, expiresAt: T0 + 3000 });
        await store.putRecord('sets', { id: 'soon', value: 2, expiresAt: T0 + 1000 });
        await store.putRecord('sets', { id: 'tie', value: 3, expiresAt: T0 + 1000 });
        await store.putRecord('sets', { id: 'never', value: 4 });
        await store.putRecord('other', { id: 'other', value: 5, expiresAt: T0 + 500 });
        const expiring = async (before: number, limit = 10) => ids(await store.listExpiringRecords('sets', before, limit));
        expect(await expiring(T0 + 5000)).toEqual(['soon', 'tie', 'late']);
        expect(await expiring(T0 + 5000, 1)).toEqual(['soon']);
        expect(await expiring(T0 + 999)).toEqual([]);
        expect((await store.listExpiringRecords('sets', T0 + 1000, 1))[0]).toEqual({ id: 'soon', value: 2, expiresAt: T0 + 1000 });
        expect(await store.getRecord('sets', 'soon')).toEqual({ id: 'soon', value: 2, expiresAt: T0 + 1000 });

        clock.advance(2000);
        expect(await store.getRecord('sets', 'soon')).toBeUndefined();
        expect(ids(await store.listRecords('sets'))).toEqual(['late', 'never']);
        expect(await store.countRecords('sets')).toBe(2);
        // Expired but not yet purged: still listed, so a caller can act before the purge.
        expect(await expiring(T0 + 2000)).toEqual(['soon', 'tie']);
        await store.purgeExpired();
        expect(await expiring(T0 + 5000)).toEqual(['late']);
        expect(await store.listExpiringRecords('other', T0 + 5000, 10)).toEqual([]);
      });

      it('forgets an expiry when a record is written again without one', async () => {
        await store.putRecord('ns', { id: 'r', value: 1, expiresAt: T0 + 1000 });
        await store.putRecord('ns', { id: 'r', value: 2 });
        clock.advance(5000);
        expect(await store.listExpiringRecords('ns', T0 + 5000, 10)).toEqual([]);
        await store.purgeExpired();
        expect(await store.getRecord('ns', 'r')).toEqual({ id: 'r', value: 2 });
      });

      it('takes ids and namespaces with separators and non-ASCII text as they are', async () => {
        const awkward = ['a/b', 'a:b', '~x', 'ü 😀', 'a\nb'];
        for (const id of awkward) await store.putRecord('ns:/~', { id, value: id, expiresAt: T0 + 1000 });
        await store.putRecord('ns', { id: ':/~a/b', value: 'elsewhere' });
        expect(ids(await store.listRecords('ns:/~')).sort()).toEqual([...awkward].sort());
        for (const id of awkward) expect((await store.getRecord('ns:/~', id))?.value).toBe(id);
        clock.advance(1000);
        await store.purgeExpired();
        expect(await store.countRecords('ns:/~')).toBe(0);
        expect(await store.getRecord('ns', ':/~a/b')).toEqual({ id: ':/~a/b', value: 'elsewhere' });
      });
    });

    describe('ping', () => {
      it('resolves while the store is open, and rejects with CLOSED after close', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await expect(store.ping()).rejects.toSatisfy((e) => isFosspushError(e, 'CLOSED'));
      });
    });

    it('rejects calls after close with CLOSED', async () => {
      await store.close();
      await expect(store.getRegistration('a')).rejects.toSatisfy((e) => isFosspushError(e, 'CLOSED'));
      await expect(store.getRecord('ns', 'a')).rejects.toSatisfy((e) => isFosspushError(e, 'CLOSED'));
    });
  });
}
