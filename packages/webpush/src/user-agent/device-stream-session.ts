import {
  type DeviceHub,
  type DeviceSession,
  type DeviceSink,
  FosspushError,
  type Runtime,
  type StoredMessage,
  toFosspushError,
} from '@fosspush/core';
import { encodeMessageFrame, encodeReadyFrame } from './device-frames.js';
import { FRAME_OUTBOX_DEFAULTS } from './frame-outbox.js';

/** What both device-wire server handlers (WebSocket, SSE) take. */
export interface DeviceStreamServerOptions {
  hub: DeviceHub;
  /**
   * The heartbeat interval: WebSocket pings, SSE comment lines on idle streams. A WebSocket
   * device silent for twice this long is dropped.
   * @default 25_000
   */
  heartbeatIntervalMs?: number;
  /** Above this many bytes unsent to a device, its frames wait in its outbox. @default 65_536 */
  highWaterMarkBytes?: number;
  /** Above this many bytes waiting, the device is too slow and its stream ends. @default 8 MiB */
  maxQueuedBytes?: number;
  runtime?: Partial<Runtime>;
}

export const DEVICE_STREAM_SERVER_DEFAULTS = {
  // Under the 30-60 s idle timeouts of common proxies and mobile NATs.
  heartbeatIntervalMs: 25_000,
  ...FRAME_OUTBOX_DEFAULTS,
} satisfies Partial<DeviceStreamServerOptions>;

/** Acks a device may send before its stream is ready; more is abuse. */
const MAX_EARLY_ACKS = 1000;

export interface DeviceStreamSessionOptions {
  hub: DeviceHub;
  setSecret: string;
  afterSeq: number | undefined;
  heartbeatIntervalMs: number;
  /** Writes one frame (through the connection's outbox); a message frame comes with its seq. */
  write(frame: string, seq?: number): boolean;
  /** The hub opened the set: the `ready` frame follows at once (SSE writes its headers here). */
  onOpen?(): void;
  /** The hub refused (NOT_FOUND for an unknown set) or failed. */
  onOpenFailed(error: FosspushError): void;
  /** The service ended the stream (shutdown, set deleted). */
  onServiceClose(error: FosspushError): void;
  /** An ack failed; the message stays queued and comes again. */
  onAckFailed?(error: FosspushError): void;
}

export interface DeviceStreamSession {
  /** Passes an ack to the hub (held until the session is open); false when too many wait. */
  ack(messageId: string): boolean;
  /** The connection is gone. */
  close(): void;
}

/**
 * One device connection's life with the hub, the same for both transports: open the set,
 * send `ready` before anything else (messages the hub replays while opening wait for it),
 * then the backlog and live messages, and pass acks on.
 */
export function openDeviceStreamSession(options: DeviceStreamSessionOptions): DeviceStreamSession {
  let session: DeviceSession | undefined;
  let early: StoredMessage[] | undefined = [];
  const earlyAcks: string[] = [];
  let closed = false;

  const write = (message: StoredMessage) => options.write(encodeMessageFrame(message), message.seq);
  const ack = (messageId: string) => {
    if (session === undefined) return earlyAcks.push(messageId) <= MAX_EARLY_ACKS;
    session.ack(messageId).catch((error: unknown) => {
      if (!closed) options.onAckFailed?.(toFosspushError(error));
    });
    return true;
  };

  const sink: DeviceSink = {
    send(message) {
      if (closed) return false;
      if (early) {
        early.push(message);
        return true;
      }
      return write(message);
    },
    close(reason) {
      if (!closed) options.onServiceClose(new FosspushError('UNAVAILABLE', reason));
    },
  };

  options.hub.open(options.setSecret, sink, options.afterSeq).then(
    (opened) => {
      if (closed) {
        opened.close();
        return;
      }
      session = opened;
      options.onOpen?.();
      options.write(encodeReadyFrame(options.heartbeatIntervalMs));
      const backlog = early ?? [];
      early = undefined;
      for (const message of backlog) write(message);
      for (const messageId of earlyAcks.splice(0)) ack(messageId);
    },
    (error: unknown) => {
      if (!closed) options.onOpenFailed(toFosspushError(error));
    },
  );

  return {
    ack,
    close() {
      if (closed) return;
      closed = true;
      session?.close();
    },
  };
}
