import type { PushToken } from '@fosspush/core';
import type { OutgoingMessage } from '../outgoing.js';

/** What a transport returns for a message the channel accepted. */
export interface SendReceipt {
  /** The push service's id for the message when it gives one, else one the sender made. */
  messageId: string;
}

/**
 * One channel's way to a device. A transport encrypts and sends one message to one token, and
 * throws a FosspushError whose code says what went wrong (NOT_FOUND for a gone registration,
 * UNAVAILABLE for a transient failure...), with `details.retryAfterMs` when the channel asked
 * for a pause. Retries, concurrency and the API shapes live above it.
 */
export interface Transport {
  send(token: PushToken, message: OutgoingMessage): Promise<SendReceipt>;
  /** Releases pooled connections. */
  close?(): Promise<void> | void;
}
