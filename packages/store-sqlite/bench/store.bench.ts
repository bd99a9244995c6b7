// Store enqueue+ack throughput: the SQLite driver (file, WAL) against the in-memory store,
// the floor that any persistent driver is measured against.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, createPushMessage, type Store } from '@fosspush/core';
import { opsPerSecond, reportBench } from '@fosspush/testing';
import { createSqliteStore } from '../src/index.js';

const payload = new Uint8Array(200);

async function enqueueAckRate(store: Store): Promise<number> {
  await store.putRegistration({ id: 'reg', owner: 'device', createdAt: Date.now(), data: {} });
  const rate = await opsPerSecond(async () => {
    const { message } = await store.enqueue('reg', createPushMessage({ payload, ttlSeconds: 3600 }));
    await store.ack(message.id);
  }, { minMs: 2000 });
  await store.close();
  return rate;
}

const dir = mkdtempSync(join(tmpdir(), 'fosspush-bench-'));
try {
  const memory = await enqueueAckRate(createMemoryStore());
  const sqlite = await enqueueAckRate(createSqliteStore({ path: join(dir, 'bench.db') }));
  const sqliteFull = await enqueueAckRate(createSqliteStore({ path: join(dir, 'bench-full.db'), synchronous: 'full' }));
  reportBench('store', [
    {
      name: 'enqueue+ack, SQLite WAL synchronous=normal',
      unit: 'ops/s',
      higherIsBetter: true,
      ours: { label: 'sqlite', value: Math.round(sqlite) },
      baseline: { label: 'memory', value: Math.round(memory) },
    },
    {
      name: 'enqueue+ack, SQLite WAL synchronous=full',
      unit: 'ops/s',
      higherIsBetter: true,
      ours: { label: 'sqlite full', value: Math.round(sqliteFull) },
      baseline: { label: 'memory', value: Math.round(memory) },
    },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
