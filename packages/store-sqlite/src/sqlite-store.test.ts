import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPushMessage } from '@fosspush/core';
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
});
