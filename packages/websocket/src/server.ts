import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type Clock, type DeviceHub, FosspushError, isFosspushError, resolveRuntime, toFosspushError, type WithDefaults, withDefaults } from '@fosspush/core';
import {
  ConnectionOutboxWriter,
  createFrameOutbox,
  DEVICE_STREAM_SERVER_DEFAULTS,
  endEveryConnection,
  type DeviceStreamServerOptions,
  type DeviceStreamSession,
  type DeviceStreamSessionOptions,
  type DeviceStreamTarget,
  decodeDeviceFrame,
  type FrameOutbox,
  encodeErrorFrame,
  HEARTBEAT_REAP_GRACE_MS,
  HeartbeatWheel,
  LEGACY_DEVICE_WIRE_VERSION,
  MAX_ACK_IDS_PER_FRAME,
  openDeviceStreamSession,
  readStreamRequest,
  type StreamRequest,
} from '@fosspush/webpush/service';
import { refuseSocket } from '@fosspush/webpush/node';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { closeReason, DEVICE_CLOSE_CODES } from './close-codes.js';

export interface WebSocketDeviceServerOptions extends DeviceStreamServerOptions {
  /** The largest frame a device may send; larger ones close the stream with 1009. @default 4096 */
  maxPayloadBytes?: number;
  /** How long a closing device has to answer the close frame before its connection is cut. @default 1_000 */
  closeGraceMs?: number;
}

export const WEBSOCKET_DEVICE_SERVER_DEFAULTS = {
  ...DEVICE_STREAM_SERVER_DEFAULTS,
  // An ack frame is under 100 bytes: 4 KiB leaves room and refuses junk early.
  maxPayloadBytes: 4096,
  closeGraceMs: 1_000,
} satisfies Partial<WebSocketDeviceServerOptions>;

export interface WebSocketDeviceServer {
  /** Completes a WebSocket upgrade of `GET /set/<setSecret>/ws` and streams the set to it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, stream: DeviceStreamTarget): void;
  readonly connectionCount: number;
  /** Closes every device stream (1001, so devices reconnect elsewhere) and refuses new ones. */
  close(): Promise<void>;
}

/** Ticks per heartbeat interval; each visits 1/HEARTBEAT_SLICES of the devices. */
const HEARTBEAT_SLICES = 20;

/** What every connection of one server shares: one object per server, not per connection. */
interface ServerShared {
  readonly config: WithDefaults<typeof WEBSOCKET_DEVICE_SERVER_DEFAULTS, WebSocketDeviceServerOptions>;
  readonly clock: Clock;
  /** Every open connection, each visited once per heartbeat interval. */
  readonly connections: HeartbeatWheel<DeviceConnection>;
}

/** Where the `ws` and socket listeners (plain functions, `this` the emitter) find their connection. */
const CONNECTION = Symbol('fosspush.connection');
type WithConnection<T> = T & { [CONNECTION]?: DeviceConnection };

function onMessage(this: WithConnection<WebSocket>, data: RawData, isBinary: boolean): void {
  this[CONNECTION]?.received(data, isBinary);
}

/** A pong (answering our ping, version 1) or a ping (the device's heartbeat, version 2). */
function onHeard(this: WithConnection<WebSocket>): void {
  const connection = this[CONNECTION];
  if (connection) connection.lastHeardAt = connection.shared.clock.now();
}

// ws closes the connection itself on a protocol violation (oversized or invalid frame); without
// a listener the error would be thrown and take the process down.
function ignoreError(): void {}

function onClose(this: WithConnection<WebSocket>): void {
  this[CONNECTION]?.closed();
}

function onDrain(this: WithConnection<Duplex>): void {
  this[CONNECTION]?.outbox.drain();
}

/** The outbox writes to the socket. */
class SocketWriter extends ConnectionOutboxWriter {
  constructor(private readonly connection: DeviceConnection) {
    super(connection.shared.config);
  }

  write(frame: string): void {
    this.connection.ws.send(frame);
  }

  bufferedBytes(): number {
    return this.connection.ws.bufferedAmount;
  }

  onOverflow(): void {
    this.connection.end(
      DEVICE_CLOSE_CODES.tryAgainLater,
      new FosspushError('UNAVAILABLE', 'the device reads too slowly; resume from your cursor', { details: { reason: 'slow-consumer' } }),
    );
  }
}

/**
 * One device connection. Idle devices are most of a push server's connections, so this is one
 * object with its methods on the prototype (it is also the session's options), and the `ws`
 * listeners are shared functions: no closures per connection.
 */
class DeviceConnection implements DeviceStreamSessionOptions {
  lastHeardAt: number;
  readonly outbox: FrameOutbox;
  private readonly session: DeviceStreamSession;
  private ended = false;

  constructor(
    readonly shared: ServerShared,
    readonly ws: WithConnection<WebSocket>,
    socket: WithConnection<Duplex>,
    readonly setSecret: string,
    private readonly request: StreamRequest,
  ) {
    this.lastHeardAt = shared.clock.now();
    shared.connections.add(this);
    ws[CONNECTION] = this;
    socket[CONNECTION] = this;
    this.outbox = createFrameOutbox(new SocketWriter(this));
    socket.on('drain', onDrain);
    ws.on('message', onMessage);
    // ws answers a ping with a pong by itself (autoPong): the device's heartbeat costs one
    // exchange and no work here beyond noting it.
    ws.on('pong', onHeard);
    ws.on('ping', onHeard);
    ws.on('error', ignoreError);
    ws.on('close', onClose);
    this.session = openDeviceStreamSession(this);
  }

  get hub(): DeviceHub {
    return this.shared.config.hub;
  }

  get afterSeq(): number | undefined {
    return this.request.afterSeq;
  }

  get version(): number {
    return this.request.version;
  }

  /** Version 1 devices hear the server's pings; version 2 devices send their own. */
  get heartbeatMs(): number | undefined {
    return this.version === LEGACY_DEVICE_WIRE_VERSION ? this.shared.config.heartbeatIntervalMs : undefined;
  }

  get maxHeartbeatMs(): number | undefined {
    return this.version === LEGACY_DEVICE_WIRE_VERSION ? undefined : this.shared.config.maxHeartbeatMs;
  }

  get maxAckIds(): number {
    return MAX_ACK_IDS_PER_FRAME;
  }

  write(frame: string): boolean {
    return !this.ended && this.outbox.push(frame);
  }

  onOpenFailed(error: FosspushError): void {
    this.end(isFosspushError(error, 'NOT_FOUND') ? DEVICE_CLOSE_CODES.notFound : DEVICE_CLOSE_CODES.internalError, error);
  }

  onServiceClose(error: FosspushError): void {
    this.end(DEVICE_CLOSE_CODES.goingAway, error);
  }

  onAckFailed(error: FosspushError): void {
    this.outbox.push(encodeErrorFrame(error));
  }

  received(data: RawData, isBinary: boolean): void {
    this.lastHeardAt = this.shared.clock.now();
    if (this.ended) return;
    if (isBinary) {
      this.protocolError(new FosspushError('PROTOCOL_ERROR', 'binary frames are not part of the device wire'));
      return;
    }
    try {
      const frame = decodeDeviceFrame(data.toString());
      for (const id of frame.ids) {
        if (!this.session.ack(id)) {
          this.protocolError(new FosspushError('PROTOCOL_ERROR', 'too many acks before the stream was ready'));
          return;
        }
      }
    } catch (error) {
      this.protocolError(toFosspushError(error, 'PROTOCOL_ERROR'));
    }
  }

  end(code: number, error: FosspushError): void {
    if (this.ended) return;
    this.ended = true;
    const ws = this.ws;
    if (ws.readyState === ws.OPEN) {
      if (code !== DEVICE_CLOSE_CODES.goingAway) ws.send(encodeErrorFrame(error));
      ws.close(code, closeReason(error.message));
    }
    // A device that does not read (the slow one above all) never answers the close frame; ws
    // would hold its connection for 30 s.
    setTimeout(() => ws.terminate(), this.shared.config.closeGraceMs).unref();
  }

  /**
   * The sweep's visit, once per heartbeat interval. Version 1: the server drives liveness,
   * pinging the device and dropping it after two silent intervals. Version 2: the device
   * drives it; the server only drops a device silent longer than it announced it accepts.
   */
  heartbeat(now: number): void {
    const { heartbeatIntervalMs, maxHeartbeatMs } = this.shared.config;
    const legacy = this.version === LEGACY_DEVICE_WIRE_VERSION;
    const silentLimitMs = legacy ? 2 * heartbeatIntervalMs : maxHeartbeatMs + HEARTBEAT_REAP_GRACE_MS;
    if (now - this.lastHeardAt > silentLimitMs) this.ws.terminate();
    else if (legacy) this.ws.ping();
  }

  closed(): void {
    this.ended = true;
    this.shared.connections.delete(this);
    this.session.close();
  }

  private protocolError(error: FosspushError): void {
    this.end(DEVICE_CLOSE_CODES.protocolError, error);
  }
}

/**
 * The push service's side of the device wire over WebSocket. The HTTP server routes upgrades
 * of `/set/<secret>/ws` here; every connection streams one subscription set from the hub,
 * replayed from the device's cursor and then live, and takes the device's acks.
 *
 * @example
 * const devices = createWebSocketDeviceServer({ hub });
 * server.on('upgrade', (req, socket, head) => {
 *   const match = /^\/set\/([^/]+)\/ws$/.exec(new URL(req.url ?? '', 'http://x').pathname);
 *   if (match) devices.handleUpgrade(req, socket, head, { setSecret: match[1] });
 *   else socket.destroy();
 * });
 */
export function createWebSocketDeviceServer(options: WebSocketDeviceServerOptions): WebSocketDeviceServer {
  const config = withDefaults(WEBSOCKET_DEVICE_SERVER_DEFAULTS, options);
  const { clock, timers } = resolveRuntime(options.runtime);
  // Payloads are encrypted, so compression would cost memory and CPU for nothing.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
  // One timer for every connection: a timer each would cost memory per idle device. Pinging
  // every device in one pass blocked the event loop for ~0.7 s at 20,000 devices, so each
  // tick visits one slice and every device is visited once per interval.
  const connections = new HeartbeatWheel<DeviceConnection>(HEARTBEAT_SLICES, (connection) => {
    connection.heartbeat(clock.now());
    return HEARTBEAT_SLICES;
  });
  const shared: ServerShared = { config, clock, connections };
  let closing = false;
  const stopHeartbeat = connections.run(timers, clock, config.heartbeatIntervalMs / HEARTBEAT_SLICES);

  return {
    handleUpgrade(req, socket, head, stream) {
      if (closing) {
        refuseSocket(socket, new FosspushError('UNAVAILABLE', 'the push service is shutting down'));
        return;
      }
      let request: StreamRequest;
      try {
        request = stream.request ?? readStreamRequest(req, 'ws');
      } catch (error) {
        refuseSocket(socket, error);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => new DeviceConnection(shared, ws, socket, stream.setSecret, request));
    },
    get connectionCount() {
      return connections.size;
    },
    async close() {
      closing = true;
      stopHeartbeat();
      const shuttingDown = new FosspushError('UNAVAILABLE', 'the push service is shutting down');
      await endEveryConnection(
        connections.members(),
        (connection) => connection.ws,
        (connection) => connection.end(DEVICE_CLOSE_CODES.goingAway, shuttingDown),
      );
      wss.close();
    },
  };
}
