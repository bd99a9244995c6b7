import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPushMessage, isFosspushError } from '@fosspush/core';
import { describeStoreConformance } from '@fosspush/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'fosspush-sqlite-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeStoreConformance('sqlite (memory)', { create: (clock) => createSqliteStore({ runtime: { clock } }) });

let fileCounter = 0;
describeStoreConformance('sqlite (file, WAL)', {
  create: (clock) => createSqliteStore({ path: join(dir, `conformance-${fileCounter++}.db`), runtime: { clock } }),
});

describe('sqlite store on disk', () => {
  it('keeps registrations, messages and seqs across reopen', async () => {
    const path = join(dir, 'reopen.db');
    const first = createSqliteStore({ path });
    await first.putRegistration({ id: 'r', owner: 'o', createdAt: 1, data: {} });
    const { message } = await first.enqueue('r', createPushMessage({ payload: new Uint8Array([5]), ttlSeconds: 3600 }));
    await first.close();

    const second = createSqliteStore({ path });
    expect(await second.getMessage(message.id)).toEqual(message);
    const next = await second.enqueue('r', createPushMessage({ payload: new Uint8Array([6]), ttlSeconds: 3600 }));
    expect(next.message.seq).toBeGreaterThan(message.seq);
    await second.close();
  });

  it("keeps a message's owner its registration's: a registration that changes owner takes its queued messages along, and deleting it removes them", async () => {
    const store = createSqliteStore();
    await store.putRegistration({ id: 'r', owner: 'first', createdAt: 1, data: {} });
    await store.putRegistration({ id: 'other', owner: 'first', createdAt: 2, data: {} });
    const { message } = await store.enqueue('r', createPushMessage({ payload: new Uint8Array([1]), ttlSeconds: 3600 }));
    const stays = await store.enqueue('other', createPushMessage({ payload: new Uint8Array([2]), ttlSeconds: 3600 }));
    await store.putRegistration({ id: 'r', owner: 'second', createdAt: 1, data: {} });
    expect((await store.listMessages({ owner: 'second' })).map((m) => [m.id, m.owner])).toEqual([[message.id, 'second']]);
    expect((await store.listMessages({ owner: 'first' })).map((m) => m.id)).toEqual([stays.message.id]);
    expect((await store.listMessages({ registrationId: 'r' })).map((m) => m.id)).toEqual([message.id]);
    expect(await store.deleteRegistration('r')).toBe(true);
    expect(await store.getMessage(message.id)).toBeUndefined();
    expect(await store.listMessages({})).toEqual([stays.message]);
    await store.close();
  });

  it('settles each call of one group commit on its own: a failing call rejects alone, the others resolve with their own outcomes', async () => {
    const store = createSqliteStore();
    await store.putRegistration({ id: 'r', owner: 'o', createdAt: 1, data: {} });
    const first = createPushMessage({ payload: new Uint8Array([1]), ttlSeconds: 3600 });
    // Made in one turn of the event loop, so they run in one transaction.
    const [queued, unknown, again, missingAck] = await Promise.allSettled([
      store.enqueue('r', first),
      store.enqueue('nobody', createPushMessage({ payload: new Uint8Array([2]), ttlSeconds: 3600 })),
      store.enqueue('r', first),
      store.ack('never-queued'),
    ]);
    expect(queued).toMatchObject({ status: 'fulfilled', value: { created: true, message: { id: first.id, owner: 'o' } } });
    expect(unknown.status === 'rejected' && isFosspushError(unknown.reason, 'NOT_FOUND')).toBe(true);
    expect(again).toMatchObject({ status: 'fulfilled', value: { created: false, message: { id: first.id } } });
    expect(missingAck).toEqual({ status: 'fulfilled', value: false });
    expect(await store.ack(first.id)).toBe(true);
    await store.close();
    await expect(store.ack(first.id)).rejects.toSatisfy((error) => isFosspushError(error, 'CLOSED'));
  });
});
