/**
 * What a device channel knows about the messages it handed on, so that a reconnect neither
 * loses nor repeats any:
 *
 * - `cursor`, the highest seq handed on, is what a reconnect asks to resume after;
 * - `durableCursor` never passes a message that was handed on but not acked, so a restarted
 *   daemon that resumes from it is sent again whatever it had not safely stored;
 * - message ids seen recently, so a message the server sends twice is handed on once.
 */
export interface StreamDeliveryLedger {
  /** Records a received message: `new` to hand on, or why it must not be handed on again. */
  receive(messageId: string, seq: number): 'new' | 'in-flight' | 'acked';
  ack(messageId: string): void;
  readonly cursor: number | undefined;
  readonly durableCursor: number | undefined;
}

export interface StreamDeliveryLedgerOptions {
  /** Where a previous run left off. */
  cursor?: number;
  /** @default 4096 */
  rememberAcked?: number;
}

export function createStreamDeliveryLedger(options: StreamDeliveryLedgerOptions = {}): StreamDeliveryLedger {
  const rememberAcked = options.rememberAcked ?? 4096;
  const inFlight = new Map<string, number>();
  // A Set iterates in insertion order: the first entry is the oldest, the one to forget.
  const acked = new Set<string>();
  let cursor = options.cursor;

  return {
    receive(messageId, seq) {
      if (inFlight.has(messageId)) return 'in-flight';
      if (acked.has(messageId)) return 'acked';
      inFlight.set(messageId, seq);
      if (cursor === undefined || seq > cursor) cursor = seq;
      return 'new';
    },
    ack(messageId) {
      inFlight.delete(messageId);
      acked.add(messageId);
      if (acked.size > rememberAcked) acked.delete(acked.values().next().value as string);
    },
    get cursor() {
      return cursor;
    },
    get durableCursor() {
      let lowest = Number.POSITIVE_INFINITY;
      for (const seq of inFlight.values()) lowest = Math.min(lowest, seq);
      return lowest === Number.POSITIVE_INFINITY ? cursor : lowest - 1;
    },
  };
}
