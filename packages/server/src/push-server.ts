import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createJsonLogger, FosspushError, resolveRuntime, toFosspushError, withDefaults } from '@fosspush/core';
import { resumeCursorFromRequest } from '@fosspush/webpush/service';
import type { ServerContext } from './context.js';
import { defaultDeviceTransports, type DeviceTransports } from './device-transports.js';
import { handleMessage } from './handlers/message.js';
import { handleMatrixNotify } from './handlers/matrix-gateway.js';
import { handlePush } from './handlers/push.js';
import { handleDiscovery } from './handlers/unifiedpush-discovery.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleDeleteSet, handleUnsubscribe } from './handlers/unsubscribe.js';
import { addressKey } from './http/address-key.js';
import { assertCapabilityIds } from './http/capabilities.js';
import { clientIp } from './http/request-info.js';
import { rejectUpgrade, sendError, sendJson } from './http/respond.js';
import { matchRoute, type Route } from './http/routes.js';
import { createDeviceHub, type PushDeviceHub } from './hub/device-hub.js';
import { moveLegacyRecords } from './legacy-records.js';
import { createMetrics, type PushMetrics } from './metrics.js';
import { PUSH_SERVER_DEFAULTS, type PushServerOptions } from './options.js';
import { createRateLimiter } from './rate-limit.js';
import { pooledRandom } from './random-pool.js';
import { openStorage, storageFullError } from './storage.js';
import { createSubscriptions, SET_TOUCH_INTERVAL_MS } from './subscriptions.js';
import { throttledLog } from './throttled-log.js';

/**
 * A socket error before the device wire takes over must not crash the process. A plain function
 * rather than a closure: a closure here would keep the upgrade request alive for the whole life
 * of the connection, which costs every idle device its request headers.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** The route a response answers, for the request metrics. */
const ROUTE = Symbol('fosspush.route');
type RoutedResponse = ServerResponse & { [ROUTE]?: string };

export interface PushServer {
  /**
   * Resolves once the storage is open: its driver imported (a missing one is MISSING_DEPENDENCY)
   * and the store opened. `listen()` waits for it too; call it first to tell a store that cannot
   * open from an address that cannot be bound.
   */
  ready(): Promise<void>;
  /**
   * Checks the store, moves what an older version stored as registrations into records, then
   * starts listening; resolves with the base URL. @default port 8080 on 127.0.0.1
   */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Drains and stops: no new connections, requests in flight finish (every 201 already sent
   * is in the store), device streams close, then the store. Safe to call twice.
   */
  close(): Promise<void>;
  /** The base URL once listening (`http://127.0.0.1:8080`). */
  readonly url: string;
  readonly hub: PushDeviceHub;
  readonly metrics: PushMetrics;
  /** The underlying node:http server, e.g. to attach it elsewhere. */
  readonly httpServer: Server;
  /**
   * Answers `/healthz` and `/metrics` (404 for anything else): mount it on an operator listener
   * (`createServer(server.operatorHandler).listen(9464, '127.0.0.1')`) together with
   * `publicOperatorRoutes: false`.
   */
  readonly operatorHandler: (req: IncomingMessage, res: ServerResponse) => void;
}

/**
 * The fosspush push service: RFC 8030 HTTP API for app servers (RFC 8291 payloads, RFC 8292
 * VAPID), one WebSocket or SSE stream per device, store-and-forward in SQLite, memory or Redis.
 *
 * @example
 * const server = createPushServer({ storage: { kind: 'sqlite', path: '/var/lib/fosspush/server.db' } });
 * const url = await server.listen(8080, '127.0.0.1');
 * process.on('SIGTERM', () => server.close());
 */
export function createPushServer(options: PushServerOptions = {}): PushServer {
  const settings = {
    ...withDefaults(PUSH_SERVER_DEFAULTS, options),
    rateLimits: withDefaults(PUSH_SERVER_DEFAULTS.rateLimits, options.rateLimits),
  };
  const runtime = resolveRuntime({ random: pooledRandom(), ...options.runtime });
  const logger = options.logger ?? createJsonLogger();
  const publicUrl = settings.publicUrl === undefined ? undefined : settings.publicUrl.replace(/\/+$/, '');
  const basePath = publicUrl === undefined ? '' : new URL(publicUrl).pathname.replace(/\/+$/, '');

  const storage = openStorage(settings.storage, runtime, logger);
  const { store, broker } = storage;
  const subscriptions = createSubscriptions({
    store,
    runtime,
    maxSubscriptionsPerSet: settings.maxSubscriptionsPerSet,
    unsubscribedRetentionMs: settings.unsubscribedRetentionMs,
    registrationCacheMs: settings.registrationCacheMs,
    pendingSetTtlMs: settings.pendingSetTtlMs,
    idleSetTtlMs: settings.idleSetTtlMs,
    maxSetsPerAddress: settings.maxSetsPerAddress,
  });

  const httpServer = createServer({
    maxHeaderSize: settings.maxHeaderBytes,
    headersTimeout: settings.headersTimeoutMs,
    // Node checks headersTimeout only on this timer (30 s by default), so a slow client kept
    // its connection three times the deadline: checking ten times per deadline keeps it.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(settings.headersTimeoutMs / 10))),
    // Device streams are long-lived requests: node's whole-request timeout must not cut them.
    requestTimeout: 0,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
  });
  httpServer.maxConnections = settings.maxConnections;
  // Behind a reverse proxy every connection comes from the proxy: the proxy limits instead.
  if (!settings.trustProxy) limitConnectionsPerAddress(httpServer, settings.maxConnectionsPerAddress, (address) => {
    metrics.connectionsRefused.inc({ reason: 'per_address' });
    logger.debug('connection_refused', { reason: 'per_address', address });
  });

  let transports: DeviceTransports | undefined;
  const metrics = createMetrics(
    {
      deviceConnections: () => (transports ? transports.websocket.connectionCount + transports.sse.connectionCount : hub.sessionCount),
      httpConnections: () => new Promise((resolve) => httpServer.getConnections((error, count) => resolve(error ? 0 : count))),
      stored: () => subscriptions.count(),
    },
    { processMetrics: settings.processMetrics },
  );
  const hub = createDeviceHub({
    store,
    broker,
    subscriptions,
    runtime,
    maxUnackedPerDevice: settings.maxUnackedPerDevice,
    onDelivered: (message) => {
      metrics.countDelivered(Math.max(0, runtime.clock.now() - message.sentAt) / 1000);
    },
    onError: (error, { setId }) => logger.error('device_stream_error', { error, set: setId.slice(0, 6) }),
  });
  transports = (options.deviceTransports ?? defaultDeviceTransports)(hub, {
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    maxHeartbeatMs: settings.maxDeviceHeartbeatMs,
    runtime,
  });

  const perIp = settings.rateLimits.perIp ? createRateLimiter(settings.rateLimits.perIp, runtime.clock) : undefined;
  const perSubscription = settings.rateLimits.perSubscription ? createRateLimiter(settings.rateLimits.perSubscription, runtime.clock) : undefined;
  const ctx: ServerContext = {
    store,
    broker,
    subscriptions,
    hub,
    metrics,
    logger,
    runtime,
    perSubscription,
    limits: {
      maxPayloadBytes: settings.maxPayloadBytes,
      maxTtlSeconds: settings.maxTtlSeconds,
      bodyTimeoutMs: settings.bodyTimeoutMs,
      ...(settings.defaultTtlSeconds === false ? {} : { defaultTtlSeconds: settings.defaultTtlSeconds }),
    },
    // The base of every link and the VAPID audience: configuration, else the listen address,
    // never a request header (a client could name another push service's host there).
    baseUrl: () => publicUrl ?? url ?? 'http://127.0.0.1',
    clientAddress: (req) => addressKey(clientIp(req, settings.trustProxy)),
  };

  let closing: Promise<void> | undefined;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  // Split by hand: a URL object per request costs more than the rest of the routing.
  const locate = (req: IncomingMessage): Route => {
    const target = req.url ?? '/';
    const queryStart = target.indexOf('?');
    let pathname = queryStart < 0 ? target : target.slice(0, queryStart);
    if (basePath !== '' && pathname.startsWith(`${basePath}/`)) pathname = pathname.slice(basePath.length);
    const route = matchRoute(req.method ?? 'GET', pathname);
    assertCapabilityIds(route);
    return route;
  };

  const limitClient = (req: IncomingMessage) => {
    if (!perIp) return;
    try {
      perIp.take(clientIp(req, settings.trustProxy));
    } catch (error) {
      metrics.rateLimited.inc({ scope: 'ip' });
      throw error;
    }
  };

  const answerOperatorRoute = async (res: ServerResponse, route: { name: 'healthz' | 'metrics' }): Promise<void> => {
    if (route.name === 'healthz') {
      await store.ping();
      return sendJson(res, 200, { status: 'ok' });
    }
    res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics());
  };

  const dispatch = async (req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> => {
    switch (route.name) {
      case 'healthz':
      case 'metrics':
        if (!settings.publicOperatorRoutes) throw new FosspushError('NOT_FOUND', `nothing at /${route.name}`);
        return answerOperatorRoute(res, route);
      case 'subscribe':
        return handleSubscribe(ctx, req, res);
      case 'push':
        if (req.method === 'GET') return handleDiscovery(res);
        try {
          return await handlePush(ctx, req, res, route.pushId);
        } catch (error) {
          if (toFosspushError(error).code === 'RATE_LIMITED') metrics.rateLimited.inc({ scope: 'subscription' });
          throw error;
        }
      case 'message':
        return handleMessage(ctx, req, res, route.messageId);
      case 'matrix-notify':
        return handleMatrixNotify(ctx, req, res);
      case 'subscription':
        return handleUnsubscribe(ctx, req, res, route.setId, route.pushId);
      case 'set':
        return handleDeleteSet(ctx, req, res, route.setId);
      case 'events': {
        if (!(await subscriptions.setExists(route.setId))) throw new FosspushError('NOT_FOUND', 'no such subscription set');
        const lastEventId = req.headers['last-event-id'];
        const afterSeq = resumeCursorFromRequest(req.url ?? '/', Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
        transports?.sse.handle(req, res, { setSecret: route.setId, afterSeq });
        return;
      }
      case 'websocket':
        throw new FosspushError('INVALID_REQUEST', 'this is a WebSocket endpoint: send an Upgrade request');
    }
  };

  // One listener function for every response and the route name on the response itself: a
  // closure per request would be garbage on the hottest path.
  function onResponseClose(this: RoutedResponse): void {
    metrics.countRequest(this[ROUTE] ?? 'unknown', this.statusCode);
    if (--inFlight === 0) idle?.();
  }

  // A 503 body says only "unavailable"; what the store said goes here, once per 10 s.
  const logUnavailable = throttledLog(runtime.clock, (suppressed, route: string | undefined, error: unknown) => {
    const cause = (error as { cause?: unknown }).cause;
    logger.warn('request_unavailable', { route, error, cause, suppressed });
  });

  const reportFailure = (req: IncomingMessage, res: RoutedResponse, thrown: unknown): void => {
    const error = storageFullError(thrown) ?? thrown;
    const status = sendError(req, res, error);
    if (status === 507) reportStorageFull(error);
    else if (status === 503) logUnavailable(res[ROUTE], error);
    else if (status >= 500) logger.error('request_failed', { route: res[ROUTE], error });
    else logger.debug('request_refused', { route: res[ROUTE], status, error });
  };

  const handleRequest = async (req: IncomingMessage, res: RoutedResponse): Promise<void> => {
    try {
      limitClient(req);
      const route = locate(req);
      res[ROUTE] = route.name;
      await dispatch(req, res, route);
    } catch (error) {
      reportFailure(req, res, error);
    }
  };

  const operatorHandler = (req: IncomingMessage, res: RoutedResponse): void => {
    (async () => {
      const route = locate(req);
      res[ROUTE] = route.name;
      if (route.name !== 'healthz' && route.name !== 'metrics') throw new FosspushError('NOT_FOUND', 'the operator listener serves /healthz and /metrics');
      await answerOperatorRoute(res, route);
    })().catch((error: unknown) => reportFailure(req, res, error));
  };

  httpServer.on('request', (req: IncomingMessage, res: RoutedResponse) => {
    inFlight++;
    res.on('close', onResponseClose);
    if (closing) {
      res.setHeader('connection', 'close');
      sendError(req, res, new FosspushError('UNAVAILABLE', 'the server is shutting down'));
      return;
    }
    void handleRequest(req, res);
  });

  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    (async () => {
      if (closing) throw new FosspushError('UNAVAILABLE', 'the server is shutting down');
      limitClient(req);
      const route = locate(req);
      if (route.name !== 'websocket') throw new FosspushError('NOT_FOUND', 'only /set/<id>/ws accepts a WebSocket');
      if (!(await subscriptions.setExists(route.setId))) throw new FosspushError('NOT_FOUND', 'no such subscription set');
      const afterSeq = resumeCursorFromRequest(req.url ?? '/');
      transports?.websocket.handleUpgrade(req, socket, head, { setSecret: route.setId, afterSeq });
    })().catch((error: unknown) => {
      metrics.countRequest('websocket', rejectUpgrade(socket, error));
    });
  });

  httpServer.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // Node's own parser refusals (oversized or malformed headers): answer instead of a reset.
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const body = JSON.stringify({ code: status === 408 ? 'TIMEOUT' : 'INVALID_REQUEST', message: error.message });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  });

  // One line a minute while the store is full: enough to act on, not enough to fill the disk.
  const reportStorageFull = throttledLog(
    runtime.clock,
    (suppressed, error: unknown) =>
      logger.error('storage_full', {
        error,
        suppressed,
        storage: settings.storage.kind,
        action:
          settings.storage.kind === 'redis'
            ? 'Redis refuses writes (maxmemory): raise maxmemory or free memory; pushes get 507 until then'
            : 'the disk holding the database is full: free space on it; pushes get 507 until then, accepted messages are safe',
      }),
    60_000,
  );

  // Reclaim before purge, on the same node and in this order: the purge forgets expired set
  // markers, so a set must be reclaimed (its push resources turned into 410s) first. The
  // lookahead covers the time between the two.
  const sweep = async () => {
    await hub.touchConnected(SET_TOUCH_INTERVAL_MS);
    const reclaimed = await subscriptions.reclaimExpired(settings.purgeIntervalMs);
    if (reclaimed > 0) {
      metrics.setsReclaimed.inc(reclaimed);
      logger.info('sets_reclaimed', { count: reclaimed });
    }
    const expired = await store.purgeExpired();
    if (expired > 0) {
      metrics.expired.inc(expired);
      logger.debug('purged', { expired });
    }
  };
  let sweeping = false;
  const purgeTimer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    sweep()
      .catch((error) => logger.warn('purge_failed', { error }))
      .finally(() => {
        sweeping = false;
      });
  }, settings.purgeIntervalMs);
  purgeTimer.unref();

  let url: string | undefined;

  const drain = async () => {
    clearInterval(purgeTimer);
    const stopped = new Promise<void>((resolve) => httpServer.close(() => resolve()));
    httpServer.closeIdleConnections();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settings.drainTimeoutMs);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    hub.closeAll('server shutting down');
    await Promise.all([transports?.websocket.close(), transports?.sse.close()]);
    httpServer.closeAllConnections();
    await stopped;
    await storage.close();
    logger.info('stopped', {});
  };

  return {
    async listen(port = 8080, host = '127.0.0.1') {
      // Fail here, not on the first request, when the store cannot open or is unreachable (Redis down).
      await storage.ready();
      await store.ping();
      const moved = await moveLegacyRecords(store);
      if (moved.sets + moved.tombstones > 0) logger.info('legacy_records_moved', moved);
      return new Promise<string>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          const address = httpServer.address() as AddressInfo;
          const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
          url = `http://${hostPart}:${address.port}`;
          logger.info('listening', { url, publicUrl, storage: settings.storage.kind });
          if (publicUrl === undefined && (address.address === '0.0.0.0' || address.address === '::')) {
            logger.warn('public_url_missing', { url, hint: 'listening on every address: set --public-url to the URL devices and app servers use, else links and the VAPID audience name this wildcard address' });
          }
          resolve(url);
        });
      });
    },
    ready: () => storage.ready(),
    close() {
      closing ??= drain();
      return closing;
    },
    get url() {
      if (url === undefined) throw new FosspushError('CLOSED', 'the server is not listening yet');
      return url;
    },
    hub,
    metrics,
    httpServer,
    operatorHandler,
  };
}

/** The socket's counted address, kept on the socket so its close needs no closure. */
const COUNTED = Symbol('fosspush.countedAddress');
type CountedSocket = Socket & { [COUNTED]?: string };

/**
 * Refuses a connection when its address (an IPv6 /64 counts as one) already holds `limit`:
 * with only a global cap, one client could hold every slot and starve the rest.
 */
function limitConnectionsPerAddress(server: Server, limit: number, onRefused: (address: string) => void): void {
  const open = new Map<string, number>();
  function release(this: CountedSocket): void {
    const key = this[COUNTED] as string;
    const left = (open.get(key) ?? 1) - 1;
    if (left === 0) open.delete(key);
    else open.set(key, left);
  }
  server.on('connection', (socket: CountedSocket) => {
    const key = addressKey(socket.remoteAddress ?? 'unknown');
    const count = open.get(key) ?? 0;
    if (count >= limit) {
      onRefused(key);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 10\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    open.set(key, count + 1);
    socket[COUNTED] = key;
    socket.once('close', release);
  });
}
