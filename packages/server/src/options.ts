import type { Broker, Runtime, Store } from '@fosspush/core';
import type { Logger } from '@fosspush/core';
import type { RateLimit } from './rate-limit.js';
import type { DeviceTransportsFactory } from './device-transports.js';

/** Where registrations and queued messages live, and how messages reach other nodes. */
export type StorageOptions =
  /** One SQLite file (WAL): the single-node default. */
  | { kind: 'sqlite'; path: string; synchronous?: 'normal' | 'full' }
  /** Nothing survives a restart: tests and throwaway servers. */
  | { kind: 'memory' }
  /** Several nodes share one Redis: the store and the broker both live there. */
  | { kind: 'redis'; url: string; keyPrefix?: string }
  /** Bring your own; the server leaves them open when it closes. */
  | { kind: 'custom'; store: Store; broker: Broker };

export interface PushServerOptions {
  /** @default { kind: 'sqlite', path: 'fosspush-server.db' } */
  storage?: StorageOptions;
  /**
   * The URL clients reach this server at, e.g. `https://push.example.org` behind a TLS reverse
   * proxy. It prefixes the Location and Link targets and is the VAPID audience. Without it both
   * are the listen address (`http://127.0.0.1:8080`), never a request's Host header: a client
   * could name another push service there and replay a token minted for it.
   * @default the listen address
   */
  publicUrl?: string;
  /**
   * Believe X-Forwarded-For for the client address (rate limits): only behind a reverse proxy
   * that sets it. It also turns off `maxConnectionsPerAddress`, since every connection then
   * comes from the proxy: limit connections per client in the proxy.
   * @default false
   */
  trustProxy?: boolean;
  /** Encrypted push bodies above this get 413 (RFC 8030 section 7.2: at least 4096). @default 4096 */
  maxPayloadBytes?: number;
  /** Longer requested TTLs are capped to this. @default 2419200 (28 days) */
  maxTtlSeconds?: number;
  /**
   * The TTL of a push without a `TTL` header. RFC 8030 requires the header, but some
   * UnifiedPush app servers omit it; `false` keeps the strict 400. @default 86400 (one day)
   */
  defaultTtlSeconds?: number | false;
  /** Request headers above this get 431 (node:http `maxHeaderSize`). @default 8192 */
  maxHeaderBytes?: number;
  /** A request body must arrive within this; slower ones get 408. @default 10000 */
  bodyTimeoutMs?: number;
  /** Request headers must arrive within this (slowloris), checked every tenth of it (at most 1 s). @default 10000 */
  headersTimeoutMs?: number;
  /** Idle keep-alive connections close after this. @default 5000 */
  keepAliveTimeoutMs?: number;
  /** Open TCP connections at most, device streams included; more are refused. @default 10000 */
  maxConnections?: number;
  /**
   * Open TCP connections from one address at most (an IPv6 /64 counts as one address), so one
   * client cannot hold every slot; more get 503. Not applied with `trustProxy`. @default 256
   */
  maxConnectionsPerAddress?: number;
  /** @default 1000 */
  maxSubscriptionsPerSet?: number;
  /** Messages written to a device but not yet acked, at most; more wait in the store. @default 1000 */
  maxUnackedPerDevice?: number;
  /** Token buckets; `false` turns one off. */
  rateLimits?: {
    /** Every request from one client address. @default { ratePerSecond: 200, burst: 1000 } */
    perIp?: RateLimit | false;
    /** Pushes to one push resource. @default { ratePerSecond: 10, burst: 100 } */
    perSubscription?: RateLimit | false;
  };
  /** Device stream heartbeats of wire version 1 devices, passed to the WebSocket and SSE handlers. @default 25000 */
  heartbeatIntervalMs?: number;
  /**
   * Wire version 2: the longest interval between a device's heartbeats, announced to devices.
   * A reverse proxy in front must keep idle connections open longer. @default 900000
   */
  maxDeviceHeartbeatMs?: number;
  /** How often expired messages are purged from the store. @default 60000 */
  purgeIntervalMs?: number;
  /** How long an unsubscribed push resource answers 410 before it is forgotten (404). @default 30 days */
  unsubscribedRetentionMs?: number;
  /**
   * A subscription set no device has ever connected to is reclaimed this long after it was
   * made: its push resources answer 410. Devices connect right after subscribing, so only
   * abandoned or abusive sets reach it. @default 86400000 (1 day)
   */
  pendingSetTtlMs?: number;
  /**
   * A subscription set no device has connected to for this long is reclaimed: its push
   * resources answer 410 and its queued messages go. @default 7776000000 (90 days)
   */
  idleSetTtlMs?: number;
  /** Live subscription sets one client address (an IPv6 /64) may have made; more get 403. @default 1000 */
  maxSetsPerAddress?: number;
  /**
   * How long a node keeps a push resource's registration in memory instead of reading the
   * store on every push; 0 reads every time. @default 10000
   */
  registrationCacheMs?: number;
  /** How long `close()` waits for requests in flight before cutting them off. @default 10000 */
  drainTimeoutMs?: number;
  /**
   * Whether the public listener answers `/healthz` and `/metrics`. Set it to false when they
   * are served on an operator listener of their own (`PushServer.operatorHandler`); the public
   * one then answers 404 there, so the internet sees neither counters nor versions.
   * @default true
   */
  publicOperatorRoutes?: boolean;
  /**
   * Serves `POST <base>/p/<pushId>` on the raw socket, with a strict HTTP/1.1 parser of its own,
   * answering the pushes of one read with one write; every other request, and every request it
   * is not sure of, goes to Node's HTTP server with its connection (docs/push-server.md,
   * "The raw push path"). `false` serves everything through Node's HTTP server.
   * @default true
   */
  fastPushPath?: boolean;
  /** @default JSON lines on stderr at level info */
  logger?: Logger;
  /** Expose Node process metrics (CPU, memory, event loop) on /metrics too. @default true */
  processMetrics?: boolean;
  /** Mounts the device wire; the default serves @fosspush/websocket and @fosspush/sse. */
  deviceTransports?: DeviceTransportsFactory;
  runtime?: Partial<Runtime>;
}

export const PUSH_SERVER_DEFAULTS = {
  storage: { kind: 'sqlite', path: 'fosspush-server.db' },
  trustProxy: false,
  maxPayloadBytes: 4096,
  maxTtlSeconds: 2_419_200,
  defaultTtlSeconds: 86_400,
  maxHeaderBytes: 8192,
  bodyTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
  maxSubscriptionsPerSet: 1000,
  maxUnackedPerDevice: 1000,
  rateLimits: {
    perIp: { ratePerSecond: 200, burst: 1000 },
    perSubscription: { ratePerSecond: 10, burst: 100 },
  },
  heartbeatIntervalMs: 25_000,
  maxDeviceHeartbeatMs: 900_000,
  purgeIntervalMs: 60_000,
  unsubscribedRetentionMs: 30 * 24 * 3600 * 1000,
  pendingSetTtlMs: 24 * 3600 * 1000,
  idleSetTtlMs: 90 * 24 * 3600 * 1000,
  maxSetsPerAddress: 1000,
  registrationCacheMs: 10_000,
  drainTimeoutMs: 10_000,
  processMetrics: true,
  publicOperatorRoutes: true,
  fastPushPath: true,
} as const satisfies Omit<PushServerOptions, 'publicUrl' | 'logger' | 'deviceTransports' | 'runtime'>;
