import { createMemoryChannelState, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createAckedMailLedger } from './ledger.js';

const ack = (uid: number, expiresAt = 10_000) => ({ seenKey: `k${uid}`, expiresAt, uidValidity: '7', uid });

describe('delivery ledger', () => {
  it('keeps seen ids and pending expunges across a restart, and forgets expired ids', async () => {
    const store = createMemoryChannelState();
    const clock = manualClock(1_000);
    const ledger = createAckedMailLedger(store, clock);
    await ledger.load();
    await ledger.recordAck(ack(1));
    await ledger.recordAck(ack(2, 2_000));

    const restarted = createAckedMailLedger(store, clock);
    await restarted.load();
    expect(restarted.isSeen('k1')).toBe(true);
    expect(restarted.pendingDeletes('7').sort()).toEqual([1, 2]);
    await restarted.expunged('7', [1, 2]);
    expect(restarted.pendingDeletes('7')).toEqual([]);

    clock.set(5_000);
    expect(restarted.isSeen('k2')).toBe(false);
    await restarted.recordAck(ack(3));
    expect(JSON.parse((await store.get('ledger')) ?? '{}').seen).toEqual({ k1: 10_000, k3: 10_000 });
  });

  it('drops pending expunges of another UIDVALIDITY: those UIDs name other mail now', async () => {
    const ledger = createAckedMailLedger(createMemoryChannelState(), manualClock());
    await ledger.load();
    await ledger.recordAck(ack(5));
    expect(ledger.pendingDeletes('8')).toEqual([]);
    expect(ledger.pendingDeletes('7')).toEqual([]);
  });

  it('coalesces a burst of acks into a few writes, each ack durable when it resolves', async () => {
    const inner = createMemoryChannelState();
    let writes = 0;
    const store = { ...inner, set: async (key: string, value: string) => { writes++; await new Promise((resolve) => setTimeout(resolve, 5)); await inner.set(key, value); } };
    const ledger = createAckedMailLedger(store, manualClock());
    await ledger.load();
    await Promise.all(Array.from({ length: 100 }, (_, i) => ledger.recordAck(ack(i))));
    expect(writes).toBeLessThanOrEqual(3);
    expect(JSON.parse((await inner.get('ledger')) ?? '{}').deletes.uids).toHaveLength(100);
  });

  it('refuses a corrupt ledger with a typed error', async () => {
    const store = createMemoryChannelState();
    await store.set('ledger', '{not json');
    await expect(createAckedMailLedger(store, manualClock()).load()).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
