import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Clock, type DeviceHub, FosspushError, resolveRuntime, type WithDefaults, withDefaults } from '@fosspush/core';
import {
  ConnectionOutboxWriter,
  createFrameOutbox,
  DEVICE_STREAM_SERVER_DEFAULTS,
  endEveryConnection,
  type DeviceStreamServerOptions,
  type DeviceStreamSession,
  type DeviceStreamSessionOptions,
  type DeviceStreamTarget,
  type FrameOutbox,
  HeartbeatWheel,
  type NegotiatedHeartbeat,
  negotiateHeartbeat,
  openDeviceStreamSession,
  readStreamRequest,
} from '@fosspush/webpush/service';
import { refuseRequest } from '@fosspush/webpush/node';

export type SseDeviceHandlerOptions = DeviceStreamServerOptions;

export const SSE_DEVICE_HANDLER_DEFAULTS = DEVICE_STREAM_SERVER_DEFAULTS;

export interface SseDeviceHandler {
  /**
   * Serves `GET /set/<setSecret>/events`: the set's messages as an event stream. The cursor
   * comes from `stream.request`, else from the request's `Last-Event-ID`, then `?after=`.
   */
  handle(req: IncomingMessage, res: ServerResponse, stream: DeviceStreamTarget): void;
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

/** Heartbeat ticks per shortest cadence: a comment goes out at most 1/HEARTBEAT_CHECKS early, never late. */
const HEARTBEAT_CHECKS = 20;

/** The wheel's slots cover the longest cadence, up to this many; longer waits take more than one round. */
const MAX_HEARTBEAT_SLOTS = 4096;

/** What every stream of one handler shares: one object per handler, not per connection. */
interface HandlerShared {
  readonly config: WithDefaults<typeof SSE_DEVICE_HANDLER_DEFAULTS, SseDeviceHandlerOptions>;
  readonly clock: Clock;
  /** The heartbeat's tick. */
  readonly tickMs: number;
  /** Every open stream, each visited when its comment falls due. */
  readonly streams: HeartbeatWheel<SseConnection>;
}

/** Where the response listeners (plain functions, `this` the response) find their connection. */
const CONNECTION = Symbol('fosspush.sseConnection');
type WithConnection<T> = T & { [CONNECTION]?: SseConnection };

function onDrain(this: WithConnection<ServerResponse>): void {
  this[CONNECTION]?.outbox.drain();
}

function onClose(this: WithConnection<ServerResponse>): void {
  this[CONNECTION]?.closed();
}

/** The outbox writes to the response. */
class ResponseWriter extends ConnectionOutboxWriter {
  constructor(private readonly connection: SseConnection) {
    super(connection.shared.config);
  }

  write(event: string): void {
    this.connection.res.write(event);
    this.connection.lastWriteAt = this.connection.shared.clock.now();
  }

  bufferedBytes(): number {
    return this.connection.res.writableLength;
  }

  // Cut rather than end: ending would first wait to flush to a device that is not reading.
  // It reconnects with its Last-Event-ID and the store replays what it missed.
  onOverflow(): void {
    this.connection.end(true);
  }
}

/**
 * One device's event stream. Idle devices are most of a push server's connections, so this is
 * one object with its methods on the prototype (it is also the session's options), and the
 * response listeners are shared functions: no closures per connection.
 */
class SseConnection implements DeviceStreamSessionOptions {
  lastWriteAt: number;
  readonly outbox: FrameOutbox;
  /** This stream's comment cadence: the server's (version 1) or the one the device asked for. */
  readonly cadenceMs: number;
  private readonly session: DeviceStreamSession;
  private ended = false;

  constructor(
    readonly shared: HandlerShared,
    private readonly req: IncomingMessage,
    readonly res: WithConnection<ServerResponse>,
    readonly setSecret: string,
    readonly afterSeq: number | undefined,
    private readonly negotiated: NegotiatedHeartbeat,
  ) {
    this.cadenceMs = negotiated.heartbeatMs ?? shared.config.heartbeatIntervalMs;
    this.lastWriteAt = shared.clock.now();
    res[CONNECTION] = this;
    this.outbox = createFrameOutbox(new ResponseWriter(this));
    res.on('drain', onDrain);
    res.on('close', onClose);
    this.session = openDeviceStreamSession(this);
  }

  get hub(): DeviceHub {
    return this.shared.config.hub;
  }

  get version(): number {
    return this.negotiated.version;
  }

  get heartbeatMs(): number | undefined {
    return this.negotiated.heartbeatMs;
  }

  get maxHeartbeatMs(): number | undefined {
    return this.negotiated.maxHeartbeatMs;
  }

  write(frame: string, seq?: number): boolean {
    return !this.ended && this.outbox.push(sseEvent(frame, seq));
  }

  onOpen(): void {
    this.shared.streams.add(this, this.ticksUntilDue());
    this.req.socket.setNoDelay(true);
    this.res.writeHead(200, STREAM_HEADERS);
  }

  onOpenFailed(error: FosspushError): void {
    this.ended = true;
    refuseRequest(this.req, this.res, error);
  }

  // SSE acks arrive as DELETE requests, which the service handles, not the stream.
  onServiceClose(): void {
    this.end();
  }

  /**
   * The heartbeat's visit, when this stream's comment falls due: a comment if nothing was
   * written for a cadence (less one tick, so never late), unless events wait in the outbox,
   * where a comment would only add to the backlog. Returns the ticks until the next visit.
   */
  heartbeat(): number {
    const due = this.ticksUntilDue();
    if (due > 0) return due;
    if (this.outbox.queuedBytes > 0) return 1;
    this.res.write(HEARTBEAT);
    this.lastWriteAt = this.shared.clock.now();
    return this.ticksUntilDue();
  }

  end(abort = false): void {
    if (this.ended) return;
    this.ended = true;
    if (abort) this.res.destroy();
    else this.res.end();
  }

  closed(): void {
    this.ended = true;
    this.shared.streams.delete(this);
    this.session.close();
  }

  /** Whole ticks before the comment is due: 0 means it falls due before the next tick. */
  private ticksUntilDue(): number {
    return Math.floor((this.lastWriteAt + this.cadenceMs - this.shared.clock.now()) / this.shared.tickMs);
  }
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
  // One timer for every stream, ticking HEARTBEAT_CHECKS times per shortest cadence; a tick
  // visits only the streams whose comment falls due by the next one, so 20,000 idle streams
  // cost a twentieth of a pass per tick, not a pass (which is what checking them all did).
  const tickMs = Math.min(config.heartbeatIntervalMs, config.minHeartbeatMs) / HEARTBEAT_CHECKS;
  const longestCadenceMs = Math.max(config.heartbeatIntervalMs, config.maxHeartbeatMs);
  const streams = new HeartbeatWheel<SseConnection>(Math.min(MAX_HEARTBEAT_SLOTS, Math.ceil(longestCadenceMs / tickMs) + 1), (stream) => stream.heartbeat());
  const shared: HandlerShared = { config, clock, tickMs, streams };
  const stopHeartbeat = streams.run(timers, clock, tickMs);
  let closing = false;

  return {
    handle(req, res, stream) {
      if (closing) {
        refuseRequest(req, res, new FosspushError('UNAVAILABLE', 'the push service is shutting down'));
        return;
      }
      let afterSeq: number | undefined;
      let negotiated: NegotiatedHeartbeat;
      try {
        const request = stream.request ?? readStreamRequest(req, 'events');
        afterSeq = request.afterSeq;
        negotiated = negotiateHeartbeat(config, request, true);
      } catch (error) {
        refuseRequest(req, res, error);
        return;
      }
      new SseConnection(shared, req, res, stream.setSecret, afterSeq, negotiated);
    },
    get connectionCount() {
      return streams.size;
    },
    async close() {
      closing = true;
      stopHeartbeat();
      await endEveryConnection(
        streams.members(),
        (connection) => connection.res,
        (connection) => connection.end(),
      );
    },
  };
}
