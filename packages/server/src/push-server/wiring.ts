import { createServer, type Server } from 'node:http';
import { createJsonLogger, type Logger, resolveRuntime, type Runtime, withDefaults } from '@fosspush/core';
import { createAnnounce } from '../announce.js';
import type { ServerContext } from '../context.js';
import { defaultDeviceTransports, type DeviceTransports } from '../device-transports.js';
import { addressKey } from '../http/address-key.js';
import { limitConnectionsPerAddress } from '../http/connection-limit.js';
import { clientIp, type RequestHeaders } from '../http/request-info.js';
import { createDeviceHub, type PushDeviceHub } from '../hub/device-hub.js';
import { addMetricsGauges, createMetrics, type PushMetrics } from '../metrics.js';
import { PUSH_SERVER_DEFAULTS, type PushServerOptions } from '../options.js';
import { pooledRandom } from '../random-pool.js';
import { createRateLimiter } from '../rate-limit.js';
import { openStorage, type Storage } from '../storage.js';
import { createSubscriptions, type Subscriptions } from '../subscriptions.js';
import { RequestDrain } from './request-drain.js';

/** The options with every default filled in. */
export type PushServerSettings = ReturnType<typeof resolveSettings>;

function resolveSettings(options: PushServerOptions) {
  return {
    ...withDefaults(PUSH_SERVER_DEFAULTS, options),
    rateLimits: withDefaults(PUSH_SERVER_DEFAULTS.rateLimits, options.rateLimits),
  };
}

/**
 * Where clients reach the server: the configured public URL, else the listen address once
 * listening. Never a request header: a client could name another push service's host there.
 */
export class ServerAddress {
  /** The listen address, set by `listen()`. */
  listenUrl: string | undefined;
  /** The public URL's path (`/push` for `https://example.org/push`), '' without one. */
  readonly basePath: string;

  constructor(readonly publicUrl: string | undefined) {
    this.basePath = publicUrl === undefined ? '' : new URL(publicUrl).pathname.replace(/\/+$/, '');
  }

  /** The base of every link and the VAPID audience. */
  get baseUrl(): string {
    return this.publicUrl ?? this.listenUrl ?? 'http://127.0.0.1';
  }
}

/** Everything one push server is made of, built once and shared by its routers and listener. */
export interface PushServerWiring {
  readonly settings: PushServerSettings;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly address: ServerAddress;
  readonly storage: Storage;
  readonly subscriptions: Subscriptions;
  readonly httpServer: Server;
  readonly metrics: PushMetrics;
  readonly hub: PushDeviceHub;
  readonly transports: DeviceTransports;
  /** What the request handlers get. */
  readonly ctx: ServerContext;
  readonly drain: RequestDrain;
  /** Takes a token from the client's per-address bucket, or throws RATE_LIMITED. */
  limitClient(headers: RequestHeaders, remoteAddress: string | undefined): void;
}

/**
 * Builds the parts in dependency order: storage, subscriptions, the HTTP server, metrics, the
 * device hub, the device transports, then the gauges that read them.
 */
export function wirePushServer(options: PushServerOptions): PushServerWiring {
  const settings = resolveSettings(options);
  const runtime = resolveRuntime({ random: pooledRandom(), ...options.runtime });
  const logger = options.logger ?? createJsonLogger();
  const address = new ServerAddress(settings.publicUrl === undefined ? undefined : settings.publicUrl.replace(/\/+$/, ''));

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

  const httpServer = createHttpServer(settings);
  const metrics = createMetrics({ processMetrics: settings.processMetrics });
  // Behind a reverse proxy every connection comes from the proxy: the proxy limits instead.
  if (!settings.trustProxy) {
    limitConnectionsPerAddress(httpServer, settings.maxConnectionsPerAddress, (refused) => {
      metrics.connectionsRefused.inc({ reason: 'per_address' });
      logger.debug('connection_refused', { reason: 'per_address', address: refused });
    });
  }

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
  const transports = (options.deviceTransports ?? defaultDeviceTransports)(hub, {
    heartbeatIntervalMs: settings.heartbeatIntervalMs,
    maxHeartbeatMs: settings.maxDeviceHeartbeatMs,
    runtime,
  });
  addMetricsGauges(metrics, {
    deviceConnections: () => transports.websocket.connectionCount + transports.sse.connectionCount,
    httpConnections: () => new Promise((resolve) => httpServer.getConnections((error, count) => resolve(error ? 0 : count))),
    stored: () => subscriptions.count(),
  });

  const perIp = settings.rateLimits.perIp ? createRateLimiter(settings.rateLimits.perIp, runtime.clock) : undefined;
  const perSubscription = settings.rateLimits.perSubscription ? createRateLimiter(settings.rateLimits.perSubscription, runtime.clock) : undefined;
  const ctx: ServerContext = {
    store,
    broker,
    announce: createAnnounce(broker, logger),
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
    baseUrl: () => address.baseUrl,
    clientAddress: (req) => addressKey(clientIp(req.headers, req.socket.remoteAddress, settings.trustProxy)),
  };

  return {
    settings,
    runtime,
    logger,
    address,
    storage,
    subscriptions,
    httpServer,
    metrics,
    hub,
    transports,
    ctx,
    drain: new RequestDrain(),
    limitClient(headers, remoteAddress) {
      if (perIp === undefined) return;
      try {
        perIp.take(clientIp(headers, remoteAddress, settings.trustProxy));
      } catch (error) {
        metrics.rateLimited.inc({ scope: 'ip' });
        throw error;
      }
    },
  };
}

function createHttpServer(settings: PushServerSettings): Server {
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
  return httpServer;
}
