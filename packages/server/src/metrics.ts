import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The push service's Prometheus metrics, in a registry of its own (one per server). */
export interface PushMetrics {
  readonly registry: Registry;
  readonly expired: Counter;
  readonly rateLimited: Counter<'scope'>;
  readonly connectionsRefused: Counter<'reason'>;
  /** Subscription sets reclaimed because no device connected in time. */
  readonly setsReclaimed: Counter;
  readonly requests: Counter<'route' | 'status'>;
  /** Seconds from the 201 (message accepted) to its write on a device stream. */
  readonly deliveryLatency: Histogram;
  // The per-message counts are plain numbers that a scrape reads: prom-client's inc() hashes its
  // labels on every call, and these run once or twice per message.
  /** Counts one answered request. */
  countRequest(route: string, status: number): void;
  /** Counts one message accepted (201). */
  countAccepted(): void;
  /** Counts one message written to a device stream, `latencySeconds` after it was accepted. */
  countDelivered(latencySeconds: number): void;
}

export interface MetricsSources {
  deviceConnections(): number;
  httpConnections(): Promise<number>;
  /** Subscription sets and subscriptions in the store (every node sees the same). */
  stored(): Promise<{ sets: number; subscriptions: number }>;
}

export function createMetrics(options: { processMetrics: boolean }): PushMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'fosspush_' });
  /** Requests by route, then by status. */
  const requestTally = new Map<string, Map<number, number>>();
  const requests = new Counter({
    name: 'fosspush_http_requests_total',
    help: 'HTTP requests answered, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, byStatus] of requestTally) for (const [status, count] of byStatus) this.labels(route, String(status)).inc(count);
    },
  });
  let accepted = 0;
  let delivered = 0;
  scrapedCounter(registry, 'fosspush_messages_accepted_total', 'Push messages accepted (201).', () => accepted);
  scrapedCounter(registry, 'fosspush_messages_delivered_total', 'Push messages written to a device stream.', () => delivered);
  const deliveryLatency = new Histogram({
    name: 'fosspush_delivery_latency_seconds',
    help: 'From a message being accepted to its write on a device stream.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600, 3600],
    registers: [registry],
  });
  return {
    registry,
    requests,
    deliveryLatency,
    countRequest(route, status) {
      const byStatus = requestTally.get(route) ?? new Map<number, number>();
      if (byStatus.size === 0) requestTally.set(route, byStatus);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    },
    countAccepted() {
      accepted++;
    },
    countDelivered(latencySeconds) {
      delivered++;
      deliveryLatency.observe(latencySeconds);
    },
    expired: new Counter({ name: 'fosspush_messages_expired_total', help: 'Queued push messages dropped when their TTL ran out.', registers: [registry] }),
    setsReclaimed: new Counter({
      name: 'fosspush_sets_reclaimed_total',
      help: 'Subscription sets reclaimed because no device connected to them in time.',
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: 'fosspush_connections_refused_total',
      help: 'TCP connections refused before a request was read, by limit.',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'fosspush_rate_limited_total',
      help: 'Requests refused with 429, by limit.',
      labelNames: ['scope'],
      registers: [registry],
    }),
  };
}

/**
 * The gauges, read from their sources at each scrape. Added once the parts they read exist:
 * the counters come first because the device hub, which the transports need, counts into them.
 */
export function addMetricsGauges(metrics: PushMetrics, sources: MetricsSources): void {
  const registry = metrics.registry;
  new Gauge({
    name: 'fosspush_device_connections',
    help: 'Open device streams (WebSocket and SSE).',
    registers: [registry],
    collect() {
      this.set(sources.deviceConnections());
    },
  });
  new Gauge({
    name: 'fosspush_http_connections',
    help: 'Open TCP connections to the HTTP server, device streams included.',
    registers: [registry],
    async collect() {
      this.set(await sources.httpConnections());
    },
  });
  // One store count per scrape serves both gauges.
  let storedCounts: Promise<{ sets: number; subscriptions: number }> | undefined;
  const readStored = () => {
    storedCounts ??= sources.stored().finally(() => {
      storedCounts = undefined;
    });
    return storedCounts;
  };
  new Gauge({
    name: 'fosspush_subscription_sets',
    help: 'Subscription sets in the store (one per device), from every node.',
    registers: [registry],
    async collect() {
      this.set((await readStored()).sets);
    },
  });
  new Gauge({
    name: 'fosspush_subscriptions',
    help: 'Subscriptions (push resources) in the store, from every node.',
    registers: [registry],
    async collect() {
      this.set((await readStored()).subscriptions);
    },
  });
}

/** A counter kept as a plain number by its owner and read into the registry when scraped. */
function scrapedCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
