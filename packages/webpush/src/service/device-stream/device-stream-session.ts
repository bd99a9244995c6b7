import {
  type DeviceHub,
  type DeviceSession,
  type DeviceSink,
  FosspushError,
  type Runtime,
  type StoredMessage,
  toFosspushError,
} from '@fosspush/core';
import { DEVICE_WIRE_VERSION, encodeMessageFrame, encodeReadyFrame, LEGACY_DEVICE_WIRE_VERSION } from '../../device-wire/device-frames.js';
import { FRAME_OUTBOX_DEFAULTS, type FrameOutboxOptions } from './frame-outbox.js';

/** What both device-wire server handlers (WebSocket, SSE) take. */
export interface DeviceStreamServerOptions {
  hub: DeviceHub;
  /**
   * The server-driven heartbeat of wire version 1 devices: WebSocket pings, SSE comment lines
   * on idle streams, never further apart than this. A version 1 WebSocket device silent for
   * twice this long is dropped. Also the SSE cadence of a version 2 device that asks for none.
   * @default 25_000
   */
  heartbeatIntervalMs?: number;
  /**
   * Version 2: the longest interval this server accepts between a device's heartbeats,
   * announced in `ready`. A WebSocket device silent for this long plus a minute is dropped;
   * an SSE device may ask for comments this far apart at most. A reverse proxy in front must
   * keep idle connections open longer than this.
   * @default 900_000
   */
  maxHeartbeatMs?: number;
  /** Version 2, SSE: the shortest comment cadence a device may ask for. @default 15_000 */
  minHeartbeatMs?: number;
  /** Above this many bytes unsent to a device, its frames wait in its outbox. @default 65_536 */
  highWaterMarkBytes?: number;
  /** Above this many bytes waiting, the device is too slow and its stream ends. @default 8 MiB */
  maxQueuedBytes?: number;
  /** Clock and timers of the heartbeat (tests pass a manual clock and its timers). */
  runtime?: Partial<Runtime>;
}

export const DEVICE_STREAM_SERVER_DEFAULTS = {
  // Version 1 devices: under the 30-60 s idle timeouts of common proxies and mobile NATs.
  heartbeatIntervalMs: 25_000,
  // GCM's Wi-Fi heartbeat: long enough that a NAT (typically 5-30 min), not the server, limits
  // a device; short enough that a vanished device's connection is freed within ~16 min and
  // that a reverse proxy can be told to wait that long.
  maxHeartbeatMs: 900_000,
  // A floor against devices that would have the server write every few ms.
  minHeartbeatMs: 15_000,
  ...FRAME_OUTBOX_DEFAULTS,
} satisfies Partial<DeviceStreamServerOptions>;

/**
 * The slack a version 2 WebSocket device gets past `maxHeartbeatMs` before the server drops
 * it: device timers fire late (a phone in doze batches its alarms) and the answer to a ping
 * takes a round trip.
 */
export const HEARTBEAT_REAP_GRACE_MS = 60_000;

/** The liveness members of one stream's `ready` frame. */
export interface NegotiatedHeartbeat {
  version: number;
  heartbeatMs: number | undefined;
  maxHeartbeatMs: number | undefined;
}

type HeartbeatConfig = Required<Pick<DeviceStreamServerOptions, 'heartbeatIntervalMs' | 'maxHeartbeatMs' | 'minHeartbeatMs'>>;

/**
 * What one stream's `ready` says about liveness, from what the device asked for
 * (`streamParametersFromRequest`). Version 1: the server's heartbeat. Version 2: the server's
 * maximum, and for SSE (`serverHeartbeats`) the comment cadence the device asked for, kept
 * within [minHeartbeatMs, maxHeartbeatMs].
 */
export function negotiateHeartbeat(
  config: HeartbeatConfig,
  asked: { version: number; heartbeatMs: number | undefined },
  serverHeartbeats: boolean,
): NegotiatedHeartbeat {
  if (asked.version < DEVICE_WIRE_VERSION) return { version: LEGACY_DEVICE_WIRE_VERSION, heartbeatMs: config.heartbeatIntervalMs, maxHeartbeatMs: undefined };
  const { minHeartbeatMs, maxHeartbeatMs } = config;
  const heartbeatMs = serverHeartbeats
    ? Math.min(maxHeartbeatMs, Math.max(minHeartbeatMs, asked.heartbeatMs ?? config.heartbeatIntervalMs))
    : undefined;
  return { version: DEVICE_WIRE_VERSION, heartbeatMs, maxHeartbeatMs };
}

/** Acks a device may send before its stream is ready; more is abuse. */
const MAX_EARLY_ACKS = 1000;

/** The wire version of the stream and what its `ready` says about heartbeats (`negotiateHeartbeat`). */
export interface DeviceStreamSessionOptions extends NegotiatedHeartbeat {
  hub: DeviceHub;
  setSecret: string;
  afterSeq: number | undefined;
  /** Announced in `ready` where the device acks in frames: how many ids one ack frame may carry. */
  maxAckIds?: number;
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

/** The hub's view of the stream: a small object rather than two closures per connection. */
class StreamSink implements DeviceSink {
  constructor(private readonly stream: HubStream) {}

  send(message: StoredMessage, cursor?: number): boolean {
    return this.stream.deliver(message, cursor);
  }

  close(reason: string): void {
    this.stream.serviceClosed(reason);
  }
}

/**
 * One device connection's life with the hub, the same for both transports: open the set,
 * send `ready` before anything else (messages the hub replays while opening wait for it),
 * then the backlog and live messages, and pass acks on. Methods live on the prototype and the
 * early buffers go once the set is open: an idle device costs this object and its sink.
 */
class HubStream implements DeviceStreamSession {
  private session: DeviceSession | undefined;
  private early: StoredMessage[] | undefined = [];
  private earlyAcks: string[] | undefined = [];
  private closed = false;

  constructor(private readonly options: DeviceStreamSessionOptions) {
    options.hub.open(options.setSecret, new StreamSink(this), options.afterSeq).then(
      (opened) => this.opened(opened),
      (error: unknown) => {
        if (!this.closed) options.onOpenFailed(toFosspushError(error));
      },
    );
  }

  ack(messageId: string): boolean {
    const session = this.session;
    if (session === undefined) return (this.earlyAcks ?? []).push(messageId) <= MAX_EARLY_ACKS;
    session.ack(messageId).catch((error: unknown) => {
      if (!this.closed) this.options.onAckFailed?.(toFosspushError(error));
    });
    return true;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.session?.close();
  }

  deliver(message: StoredMessage, cursor = message.seq): boolean {
    if (this.closed) return false;
    if (this.early) {
      // Rare (messages while the set opens): a copy that carries the cursor is fine here.
      this.early.push(cursor === message.seq ? message : { ...message, seq: cursor });
      return true;
    }
    return this.write(message, cursor);
  }

  serviceClosed(reason: string): void {
    if (!this.closed) this.options.onServiceClose(new FosspushError('UNAVAILABLE', reason));
  }

  private write(message: StoredMessage, cursor = message.seq): boolean {
    return this.options.write(encodeMessageFrame(message, cursor), cursor);
  }

  private opened(opened: DeviceSession): void {
    if (this.closed) {
      opened.close();
      return;
    }
    this.session = opened;
    this.options.onOpen?.();
    const { version, heartbeatMs, maxHeartbeatMs, maxAckIds } = this.options;
    this.options.write(encodeReadyFrame({ version, heartbeatMs, maxHeartbeatMs, maxAckIds }));
    const backlog = this.early ?? [];
    const acks = this.earlyAcks ?? [];
    this.early = undefined;
    this.earlyAcks = undefined;
    for (const message of backlog) this.write(message);
    for (const messageId of acks) this.ack(messageId);
  }
}

/**
 * Opens a device stream on the hub. `options` may be the connection object itself, with its
 * callbacks as methods: nothing here keeps a closure per connection.
 */
export function openDeviceStreamSession(options: DeviceStreamSessionOptions): DeviceStreamSession {
  return new HubStream(options);
}

/**
 * A device connection's outbox side: the server's limits, shared by every connection, and the
 * transport's write, buffer and overflow. A small object of its own because a connection is
 * also its session's options, which have a `write` of their own.
 */
export abstract class ConnectionOutboxWriter implements FrameOutboxOptions {
  constructor(private readonly limits: Readonly<Pick<FrameOutboxOptions, 'highWaterMarkBytes' | 'maxQueuedBytes'>>) {}

  get highWaterMarkBytes(): number {
    return this.limits.highWaterMarkBytes;
  }

  get maxQueuedBytes(): number {
    return this.limits.maxQueuedBytes;
  }

  abstract write(frame: string): void;
  abstract bufferedBytes(): number;
  abstract onOverflow(): void;
}

/**
 * Ends every connection (`end`) and resolves once each has closed (`close` from the emitter
 * `closer` names): a server's shutdown, the same for both transports.
 */
export async function endEveryConnection<T>(
  connections: Iterable<T>,
  closer: (connection: T) => { once(event: 'close', listener: () => void): unknown },
  end: (connection: T) => void,
): Promise<void> {
  await Promise.all(
    [...connections].map(
      (connection) =>
        new Promise<void>((resolve) => {
          closer(connection).once('close', () => resolve());
          end(connection);
        }),
    ),
  );
}
