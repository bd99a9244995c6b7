// Child process for the crash-safety test: writes as fast as it can and reports each write on
// stdout only after its promise resolved, i.e. after the store acknowledged it.
import { createPushMessage } from '@fosspush/core';
import { createSqliteStore } from '../src/index.js';

const path = process.argv[2];
if (!path) throw new Error('usage: crash-writer DB_PATH');
const store = createSqliteStore({ path });
await store.putRegistration({ id: 'reg', owner: 'device', createdAt: Date.now(), data: {} });
for (let i = 0; ; i++) {
  const { message } = await store.enqueue('reg', createPushMessage({ payload: new Uint8Array(64).fill(i & 0xff), ttlSeconds: 3600 }));
  if (i % 3 === 0) await store.ack(message.id);
  process.stdout.write(`${i % 3 === 0 ? 'acked' : 'queued'} ${message.id}\n`);
}
