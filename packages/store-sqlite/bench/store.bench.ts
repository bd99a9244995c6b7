// Store enqueue+ack throughput: the SQLite driver (file, WAL) against the in-memory store,
// the floor that any persistent driver is measured against.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, createPushMessage, type Store } from '@fosspush/core';
import { opsPerSecond, reportBench } from '@fosspush/testing';
import { createSqliteStore } from '../src/index.js';

const payload = new Uint8Array(200);

/** enqueue+ack pairs per second, with `concurrency` writers at once (a server's many devices). */
async function enqueueAckRate(store: Store, concurrency = 1): Promise<number> {
  await store.putRegistration({ id: 'reg', owner: 'device', createdAt: Date.now(), data: {} });
  const pair = async () => {
    const { message } = await store.enqueue('reg', createPushMessage({ payload, ttlSeconds: 3600 }));
    await store.ack(message.id);
  };
  const rate = await opsPerSecond(() => Promise.all(Array.from({ length: concurrency }, pair)), { minMs: 2000, batch: 10 });
  await store.close();
  return rate * concurrency;
}

const dir = mkdtempSync(join(tmpdir(), 'fosspush-bench-'));
try {
  const memory = await enqueueAckRate(createMemoryStore());
  const sqlite = await enqueueAckRate(createSqliteStore({ path: join(dir, 'bench.db') }));
  const sqliteFull = await enqueueAckRate(createSqliteStore({ path: join(dir, 'bench-full.db'), synchronous: 'full' }));
  const memoryConcurrent = await enqueueAckRate(createMemoryStore(), 64);
  const sqliteConcurrent = await enqueueAckRate(createSqliteStore({ path: join(dir, 'bench-64.db') }), 64);
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
    {
      name: 'enqueue+ack, 64 concurrent writers (group commit), SQLite WAL normal',
      unit: 'ops/s',
      higherIsBetter: true,
      ours: { label: 'sqlite', value: Math.round(sqliteConcurrent) },
      baseline: { label: 'memory', value: Math.round(memoryConcurrent) },
    },
  ]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
