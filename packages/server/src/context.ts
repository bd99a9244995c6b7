import type { IncomingMessage } from 'node:http';
import type { Broker, Runtime, Store } from '@fosspush/core';
import type { Announce } from './announce.js';
import type { PushDeviceHub } from './hub/device-hub.js';
import type { Logger } from '@fosspush/core';
import type { PushMetrics } from './metrics.js';
import type { RateLimiter } from './rate-limit.js';
import type { Subscriptions } from './subscriptions.js';

/** Everything a request handler needs, built once per server. */
export interface ServerContext {
  store: Store;
  broker: Broker;
  /** Publishes on the broker, best effort (through its synchronous path when it has one). */
  announce: Announce;
  subscriptions: Subscriptions;
  hub: PushDeviceHub;
  metrics: PushMetrics;
  logger: Logger;
  runtime: Runtime;
  perSubscription: RateLimiter | undefined;
  limits: { maxPayloadBytes: number; maxTtlSeconds: number; bodyTimeoutMs: number; defaultTtlSeconds?: number };
  /** The configured public URL, else the listen address: links and the VAPID audience. */
  baseUrl(): string;
  /** The client's address as per-address limits count it (an IPv6 /64 is one). */
  clientAddress(req: IncomingMessage): string;
}
