import type { StoredMessage } from './store.js';

/**
 * The contract between the push service and a device-wire handler (WebSocket, SSE). The wire
 * packages own framing, heartbeats and backpressure; the service owns authentication, storage
 * and routing. One stream carries every subscription of one device (its subscription set).
 */
export interface DeviceHub {
  /**
   * Opens the stream for a subscription set, identified by the secret from its URL.
   * Messages queued after `afterSeq` are replayed first, then live ones follow. Rejects with
   * NOT_FOUND for an unknown set.
   */
  open(setSecret: string, sink: DeviceSink, afterSeq?: number): Promise<DeviceSession>;
}

/** Where the service writes to one connected device. */
export interface DeviceSink {
  /**
   * Sends one message; false when the wire is congested (the service may slow down). With
   * `cursor`, the device is told to resume after that seq rather than the message's own: a
   * live message that may have overtaken others not yet read carries the stream's in-order
   * cursor (a parameter, so the service need not copy the message to change its seq).
   */
  send(message: StoredMessage, cursor?: number): boolean;
  /** Ends the stream from the service side (shutdown, set deleted). */
  close(reason: string): void;
}

export interface DeviceSession {
  /** The device confirmed it stored a message: it is removed and not sent again. */
  ack(messageId: string): Promise<void>;
  /** The connection is gone; undelivered messages stay queued. */
  close(): void;
}
