import type { Socket } from 'node:net';
import type { FailureReporter } from '../../push-server/failure-reporter.js';
import type { PushServerWiring } from '../../push-server/wiring.js';
import { PushConnection } from './push-connection.js';
import type { PushHeadLimits } from './push-head.js';
import { PushResponses } from './responses.js';

/** What every connection of the path shares. */
export interface RawPushPath {
  readonly wiring: PushServerWiring;
  readonly failures: FailureReporter;
  readonly responses: PushResponses;
  readonly limits: PushHeadLimits;
  readonly connections: Set<PushConnection>;
  readonly clock: DeadlineClock;
  /** Gives the socket to Node's HTTP server, with whatever was unshifted into it. */
  handToNode(socket: Socket): void;
}

/**
 * The time the deadlines are measured in: ticks of the path's timer (injected through
 * `runtime.timers`). Node's own timeouts are monotonic; the wall clock is not, and a step of
 * it (NTP, or a test's clock moved by a day) would otherwise cut every connection at once.
 */
export class DeadlineClock {
  ticks = 0;

  constructor(readonly tickMs: number) {}

  /**
   * Whether at least `ms` have surely passed since tick `since`: a tick counted only once it is
   * whole, so a deadline is never cut short, and kept to within two ticks.
   */
  passed(since: number, ms: number): boolean {
    return (this.ticks - since - 1) * this.tickMs >= ms;
  }
}

type ConnectionListener = (this: unknown, socket: Socket) => void;

/** The private flag Node's server reads before it feeds a socket to llhttp natively. */
type ConsumableHandle = { _consumed?: boolean };

/**
 * Serves `POST <base>/p/<pushId>` on the raw socket (see push-connection.ts) in front of Node's
 * HTTP server, which stays the authority for everything else: every connection starts here and
 * goes to Node, for good, at its first request that is not a plain push.
 *
 * It takes the place of Node's own 'connection' listener, after the per-address limit (which
 * must see every socket first), and makes `closeIdleConnections` and `closeAllConnections`
 * (which `close()` and the drain call) reach its sockets too.
 */
export function serveRawPushes(wiring: PushServerWiring, failures: FailureReporter): void {
  const { httpServer, settings, address, runtime } = wiring;
  const nodeListener = httpServer.listeners('connection')[0] as ConnectionListener;
  httpServer.off('connection', nodeListener);

  const connections = new Set<PushConnection>();
  // Node checks its header deadline on a timer too, at most once a second; ticking twice as
  // often keeps every deadline to within a second, and it ticks only while sockets are here.
  const clock = new DeadlineClock(Math.max(50, Math.min(500, Math.floor(settings.headersTimeoutMs / 20))));
  let timer: unknown;
  const path: RawPushPath = {
    wiring,
    failures,
    responses: new PushResponses(runtime.clock, settings.keepAliveTimeoutMs),
    limits: {
      basePath: address.basePath,
      // Well inside Node's own limit: a head near it is Node's to count and refuse.
      maxHeadBytes: Math.floor(settings.maxHeaderBytes / 2),
      maxBodyBytes: settings.maxPayloadBytes,
    },
    connections,
    clock,
    handToNode(socket) {
      // Node feeds a fresh socket to llhttp straight from the kernel, around the bytes unshifted
      // into its stream; marked as consumed, it reads them through the stream, in order.
      const handle = (socket as Socket & { _handle?: ConsumableHandle | null })._handle;
      if (handle) handle._consumed = true;
      nodeListener.call(httpServer, socket);
      socket.resume();
    },
  };

  const tick = () => {
    timer = undefined;
    clock.ticks++;
    for (const connection of connections) connection.checkTimeouts();
    if (connections.size > 0) timer = runtime.timers.setTimeout(tick, clock.tickMs);
  };

  httpServer.on('connection', (socket: Socket) => {
    // Refused by the per-address limit: Node's server gets it, as before this path existed.
    if (socket.writableEnded || socket.destroyed) return path.handToNode(socket);
    connections.add(new PushConnection(path, socket));
    timer ??= runtime.timers.setTimeout(tick, clock.tickMs);
  });

  const closeIdle = httpServer.closeIdleConnections.bind(httpServer);
  const closeAll = httpServer.closeAllConnections.bind(httpServer);
  httpServer.closeIdleConnections = () => {
    for (const connection of connections) if (connection.idle) connection.socket.destroy();
    closeIdle();
  };
  httpServer.closeAllConnections = () => {
    for (const connection of connections) connection.socket.destroy();
    closeAll();
  };
  httpServer.once('close', () => {
    runtime.timers.clearTimeout(timer);
    timer = undefined;
  });
}
