import { describe, expect, it } from 'vitest';
import { createStreamDeliveryLedger } from './delivery-ledger.js';

describe('delivery ledger', () => {
  it('hands each message on once and tells repeats apart', () => {
    const ledger = createStreamDeliveryLedger();
    expect(ledger.receive('a', 1)).toBe('new');
    expect(ledger.receive('a', 1)).toBe('in-flight');
    ledger.ack('a');
    expect(ledger.receive('a', 1)).toBe('acked');
  });

  it('resumes after the highest seq handed on, but persists only past what is acked', () => {
    const ledger = createStreamDeliveryLedger({ cursor: 10 });
    expect(ledger.durableCursor).toBe(10);
    ledger.receive('a', 11);
    ledger.receive('b', 12);
    ledger.receive('c', 13);
    expect(ledger.cursor).toBe(13);
    expect(ledger.durableCursor).toBe(10);
    ledger.ack('b');
    expect(ledger.durableCursor).toBe(10);
    ledger.ack('a');
    expect(ledger.durableCursor).toBe(12);
    ledger.ack('c');
    expect(ledger.durableCursor).toBe(13);
  });

  it('keeps the cursor when a lower seq arrives late, and holds the durable cursor before it', () => {
    const ledger = createStreamDeliveryLedger();
    ledger.receive('late', 5);
    ledger.ack('late');
    ledger.receive('x', 9);
    ledger.receive('y', 7);
    expect(ledger.cursor).toBe(9);
    expect(ledger.durableCursor).toBe(6);
  });

  it('forgets the oldest acked ids past its bound', () => {
    const ledger = createStreamDeliveryLedger({ rememberAcked: 2 });
    for (const id of ['a', 'b', 'c']) {
      ledger.receive(id, id.charCodeAt(0));
      ledger.ack(id);
    }
    expect(ledger.receive('c', 99)).toBe('acked');
    expect(ledger.receive('a', 97)).toBe('new');
  });
});
