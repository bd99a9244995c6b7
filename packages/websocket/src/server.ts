import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FosspushError, isFosspushError, resolveRuntime, toFosspushError } from '@fosspush/core';
import {
  createFrameOutbox,
  DEVICE_STREAM_SERVER_DEFAULTS,
  type DeviceStreamServerOptions,
  type DeviceStreamSession,
  decodeDeviceFrame,
  encodeErrorFrame,
  openDeviceStreamSession,
  resumeCursorFromRequest,
} from '@fosspush/webpush';
import { type WebSocket, WebSocketServer } from 'ws';
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

export interface DeviceStreamTarget {
  /** The secret from the set URL. */
  setSecret: string;
  /** Resume after this seq; when absent it is read from the request's `?after=`. */
  afterSeq?: number;
}

export interface WebSocketDeviceServer {
  /** Completes a WebSocket upgrade of `GET /set/<setSecret>/ws` and streams the set to it. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, stream: DeviceStreamTarget): void;
  readonly connectionCount: number;
  /** Closes every device stream (1001, so devices reconnect elsewhere) and refuses new ones. */
  close(): Promise<void>;
}

/** Ticks per heartbeat interval; each pings 1/HEARTBEAT_SLICES of the devices. */
const HEARTBEAT_SLICES = 20;

interface DeviceConnection {
  readonly ws: WebSocket;
  lastHeardAt: number;
  end(code: number, error: FosspushError): void;
}

function refuseUpgrade(socket: Duplex, status: number, error: FosspushError): void {
  const body = JSON.stringify({ code: error.code, message: error.message });
  socket.end(
    `HTTP/1.1 ${status} ${status === 400 ? 'Bad Request' : 'Service Unavailable'}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
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
  const config = { ...WEBSOCKET_DEVICE_SERVER_DEFAULTS, ...options };
  const { clock } = resolveRuntime(options.runtime);
  // Payloads are encrypted, so compression would cost memory and CPU for nothing.
  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxPayloadBytes, perMessageDeflate: false, clientTracking: false });
  const connections = new Set<DeviceConnection>();
  let closing = false;

  // One timer for every connection: a timer each would cost memory per idle device. Pinging
  // every device in one pass blocked the event loop for ~0.7 s at 20,000 devices, so each
  // tick pings one slice and every device is still visited once per interval.
  let pingCursor = connections.values();
  const heartbeat = setInterval(() => {
    const deadline = clock.now() - 2 * config.heartbeatIntervalMs;
    for (let budget = Math.ceil(connections.size / HEARTBEAT_SLICES); budget > 0; budget--) {
      let next = pingCursor.next();
      if (next.done) {
        pingCursor = connections.values();
        next = pingCursor.next();
        if (next.done) break;
      }
      const connection = next.value;
      if (connection.lastHeardAt < deadline) connection.ws.terminate();
      else connection.ws.ping();
    }
  }, config.heartbeatIntervalMs / HEARTBEAT_SLICES);
  heartbeat.unref();

  function attach(ws: WebSocket, socket: Duplex, setSecret: string, afterSeq: number | undefined) {
    let ended = false;
    const connection: DeviceConnection = {
      ws,
      lastHeardAt: clock.now(),
      end(code, error) {
        if (ended) return;
        ended = true;
        if (ws.readyState === ws.OPEN) {
          if (code !== DEVICE_CLOSE_CODES.goingAway) ws.send(encodeErrorFrame(error));
          ws.close(code, closeReason(error.message));
        }
        // A device that does not read (the slow one above all) never answers the close
        // frame; ws would hold its connection for 30 s.
        setTimeout(() => ws.terminate(), config.closeGraceMs).unref();
      },
    };
    connections.add(connection);
    const protocolError = (error: FosspushError) => connection.end(DEVICE_CLOSE_CODES.protocolError, error);

    const outbox = createFrameOutbox({
      highWaterMarkBytes: config.highWaterMarkBytes,
      maxQueuedBytes: config.maxQueuedBytes,
      write: (frame) => ws.send(frame),
      bufferedBytes: () => ws.bufferedAmount,
      onOverflow: () =>
        connection.end(
          DEVICE_CLOSE_CODES.tryAgainLater,
          new FosspushError('UNAVAILABLE', 'the device reads too slowly; resume from your cursor', { details: { reason: 'slow-consumer' } }),
        ),
    });
    socket.on('drain', () => outbox.drain());

    const session: DeviceStreamSession = openDeviceStreamSession({
      hub: options.hub,
      setSecret,
      afterSeq,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      write: (frame) => !ended && outbox.push(frame),
      onOpenFailed: (error) =>
        connection.end(isFosspushError(error, 'NOT_FOUND') ? DEVICE_CLOSE_CODES.notFound : DEVICE_CLOSE_CODES.internalError, error),
      onServiceClose: (error) => connection.end(DEVICE_CLOSE_CODES.goingAway, error),
      onAckFailed: (error) => outbox.push(encodeErrorFrame(error)),
    });

    ws.on('message', (data, isBinary) => {
      connection.lastHeardAt = clock.now();
      if (ended) return;
      if (isBinary) {
        protocolError(new FosspushError('PROTOCOL_ERROR', 'binary frames are not part of the device wire'));
        return;
      }
      try {
        const frame = decodeDeviceFrame(data.toString());
        if (!session.ack(frame.id)) protocolError(new FosspushError('PROTOCOL_ERROR', 'too many acks before the stream was ready'));
      } catch (error) {
        protocolError(toFosspushError(error, 'PROTOCOL_ERROR'));
      }
    });
    ws.on('pong', () => {
      connection.lastHeardAt = clock.now();
    });
    // ws closes the connection itself on a protocol violation (oversized or invalid frame);
    // without a listener the error would be thrown and take the process down.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      ended = true;
      connections.delete(connection);
      session.close();
    });
  }

  return {
    handleUpgrade(req, socket, head, stream) {
      if (closing) {
        refuseUpgrade(socket, 503, new FosspushError('UNAVAILABLE', 'the push service is shutting down'));
        return;
      }
      let afterSeq: number | undefined;
      try {
        afterSeq = stream.afterSeq ?? resumeCursorFromRequest(req.url ?? '/');
      } catch (error) {
        refuseUpgrade(socket, 400, toFosspushError(error));
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, socket, stream.setSecret, afterSeq));
    },
    get connectionCount() {
      return connections.size;
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      const closed = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            connection.ws.once('close', () => resolve());
            connection.end(DEVICE_CLOSE_CODES.goingAway, new FosspushError('UNAVAILABLE', 'the push service is shutting down'));
          }),
      );
      await Promise.all(closed);
      wss.close();
    },
  };
}
