import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPushMessage, type Store } from '@fosspush/core';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite-store.js';

// The conformance suite cannot make the mark itself fail; here a trigger, added through a
// second connection to the same file, refuses every insert into `seen`.
describe('sqlite enqueueUnseen when the mark fails', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fosspush-unseen-'));
    store = createSqliteStore({ path: join(dir, 'store.db') });
    await store.putRegistration({ id: 'r', owner: 'app', createdAt: 1, data: {} });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('backs out the enqueue with it, and the other calls of the group commit still commit', async () => {
    const other = new Database(join(dir, 'store.db'));
    other.exec(`CREATE TRIGGER refuse_marks BEFORE INSERT ON seen BEGIN SELECT RAISE(ABORT, 'no marks today'); END`);
    other.close();
    const message = (topic?: string) => createPushMessage({ payload: new Uint8Array([1]), ttlSeconds: 3600, topic });
    const earlier = await store.enqueue('r', message('score'));

    const [unseen, beside] = await Promise.allSettled([store.enqueueUnseen('r', message('score'), { key: 'r/1', expiresAt: Number.MAX_SAFE_INTEGER }), store.enqueue('r', message())]);
    expect(unseen.status).toBe('rejected');
    expect(beside.status).toBe('fulfilled');
    // Neither the new message nor its topic replacement of `earlier` happened.
    const queued = await store.listMessages({ registrationId: 'r' });
    expect(queued.map((m) => m.id)).toEqual([earlier.message.id, beside.status === 'fulfilled' ? beside.value.message.id : '']);
  });
});
