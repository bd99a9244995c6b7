import type { IncomingMessage, ServerResponse } from 'node:http';
import { FosspushError, resolveRuntime, withDefaults } from '@fosspush/core';
import {
  createFrameOutbox,
  DEVICE_STREAM_SERVER_DEFAULTS,
  type DeviceStreamServerOptions,
  errorResponse,
  type NegotiatedHeartbeat,
  negotiateHeartbeat,
  openDeviceStreamSession,
  repeatEvery,
  resumeCursorFromRequest,
  streamParametersFromRequest,
} from '@fosspush/webpush/service';

export type SseDeviceHandlerOptions = DeviceStreamServerOptions;

export const SSE_DEVICE_HANDLER_DEFAULTS = DEVICE_STREAM_SERVER_DEFAULTS;

export interface SseStreamTarget {
  /** The secret from the set URL. */
  setSecret: string;
  /** Resume after this seq; when absent it is read from `Last-Event-ID`, then `?after=`. */
  afterSeq?: number;
}

export interface SseDeviceHandler {
  /** Serves `GET /set/<setSecret>/events`: the set's messages as an event stream. */
  handle(req: IncomingMessage, res: ServerResponse, stream: SseStreamTarget): void;
  readonly connectionCount: number;
  /** Ends every stream (devices reconnect and resume) and refuses new ones. */
  close(): Promise<void>;
}

const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx buffers responses unless told otherwise, which would hold events back.
  'x-accel-buffering': 'no',
};

/** One event per frame; the seq goes in `id:` so that EventSource's Last-Event-ID resumes. */
function sseEvent(frame: string, seq?: number): string {
  return seq === undefined ? `data: ${frame}\n\n` : `id: ${seq}\ndata: ${frame}\n\n`;
}

const HEARTBEAT = ':\n\n';

/** Checks per shortest cadence: a comment goes out at most 1/HEARTBEAT_CHECKS early, never late. */
const HEARTBEAT_CHECKS = 20;

interface SseConnection {
  readonly res: ServerResponse;
  /** This stream's comment cadence: the server's (version 1) or the one the device asked for. */
  readonly heartbeatMs: number;
  lastWriteAt: number;
  /** Whether events wait in the outbox: a heartbeat then would only add to the backlog. */
  congested(): boolean;
  end(abort?: boolean): void;
}

/**
 * The push service's side of the device wire over Server-Sent Events. Same frames, cursor and
 * replay as the WebSocket wire; acks come back as `DELETE /m/<id>`, which the service serves.
 *
 * @example
 * const sse = createSseDeviceHandler({ hub });
 * // in the request handler, for GET /set/<secret>/events:
 * sse.handle(req, res, { setSecret });
 */
export function createSseDeviceHandler(options: SseDeviceHandlerOptions): SseDeviceHandler {
  const config = withDefaults(SSE_DEVICE_HANDLER_DEFAULTS, options);
  const { clock, timers } = resolveRuntime(options.runtime);
  const connections = new Set<SseConnection>();
  let closing = false;

  // Each check writes a comment to every stream that would otherwise reach its cadence before
  // the next check, so no idle stream goes quiet for longer than its cadence. (Checking once a
  // cadence for "quiet at least a cadence" skipped every other check: comments came ~2x apart.)
  const checkEveryMs = Math.min(config.heartbeatIntervalMs, config.minHeartbeatMs) / HEARTBEAT_CHECKS;
  const stopHeartbeat = repeatEvery(timers, checkEveryMs, () => {
    const now = clock.now();
    for (const connection of connections) {
      if (now + checkEveryMs - connection.lastWriteAt >= connection.heartbeatMs && !connection.congested()) {
        connection.res.write(HEARTBEAT);
        connection.lastWriteAt = now;
      }
    }
  });

  const refuse = (res: ServerResponse, error: unknown) => {
    const { status, headers, body } = errorResponse(error);
    res.writeHead(status, headers).end(body);
  };

  return {
    handle(req, res, stream) {
      if (closing) {
        refuse(res, new FosspushError('UNAVAILABLE', 'the push service is shutting down'));
        return;
      }
      let afterSeq: number | undefined;
      let heartbeat: NegotiatedHeartbeat;
      try {
        const lastEventId = req.headers['last-event-id'];
        afterSeq = stream.afterSeq ?? resumeCursorFromRequest(req.url ?? '/', typeof lastEventId === 'string' ? lastEventId : undefined);
        heartbeat = negotiateHeartbeat(config, streamParametersFromRequest(req.url ?? '/'), true);
      } catch (error) {
        refuse(res, error);
        return;
      }

      let ended = false;
      const connection: SseConnection = {
        res,
        heartbeatMs: heartbeat.heartbeatMs ?? config.heartbeatIntervalMs,
        lastWriteAt: clock.now(),
        congested: () => outbox.queuedBytes > 0,
        end(abort = false) {
          if (ended) return;
          ended = true;
          if (abort) res.destroy();
          else res.end();
        },
      };
      const outbox = createFrameOutbox({
        highWaterMarkBytes: config.highWaterMarkBytes,
        maxQueuedBytes: config.maxQueuedBytes,
        write: (event) => {
          res.write(event);
          connection.lastWriteAt = clock.now();
        },
        bufferedBytes: () => res.writableLength,
        // Cut rather than end: ending would first wait to flush to a device that is not reading.
        // It reconnects with its Last-Event-ID and the store replays what it missed.
        onOverflow: () => connection.end(true),
      });

      const session = openDeviceStreamSession({
        hub: options.hub,
        setSecret: stream.setSecret,
        afterSeq,
        ...heartbeat,
        write: (frame, seq) => !ended && outbox.push(sseEvent(frame, seq)),
        onOpen() {
          connections.add(connection);
          req.socket.setNoDelay(true);
          res.writeHead(200, STREAM_HEADERS);
        },
        onOpenFailed(error) {
          ended = true;
          refuse(res, error);
        },
        // SSE acks arrive as DELETE requests, which the service handles, not the stream.
        onServiceClose: () => connection.end(),
      });
      res.on('drain', () => outbox.drain());
      res.on('close', () => {
        ended = true;
        connections.delete(connection);
        session.close();
      });
    },
    get connectionCount() {
      return connections.size;
    },
    async close() {
      closing = true;
      stopHeartbeat();
      const ended = [...connections].map(
        (connection) =>
          new Promise<void>((resolve) => {
            connection.res.once('close', () => resolve());
            connection.end();
          }),
      );
      await Promise.all(ended);
    },
  };
}
