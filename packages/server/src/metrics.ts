import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The push service's Prometheus metrics, in a registry of its own (one per server). */
export interface PushMetrics {
  readonly registry: Registry;
  readonly accepted: Counter;
  readonly delivered: Counter;
  readonly expired: Counter;
  readonly rateLimited: Counter<'scope'>;
  readonly requests: Counter<'route' | 'status'>;
  /** Seconds from the 201 (message accepted) to its write on a device stream. */
  readonly deliveryLatency: Histogram;
  /** Counts one answered request; the labelled child per route and status is reused. */
  countRequest(route: string, status: number): void;
}

export interface MetricsSources {
  deviceConnections(): number;
  httpConnections(): Promise<number>;
}

export function createMetrics(sources: MetricsSources, options: { processMetrics: boolean }): PushMetrics {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'fosspush_' });
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
  const requests = new Counter({
    name: 'fosspush_http_requests_total',
    help: 'HTTP requests answered, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const requestCounters = new Map<string, { inc(): void }>();
  return {
    registry,
    requests,
    countRequest(route, status) {
      const key = `${route} ${status}`;
      let counter = requestCounters.get(key);
      if (!counter) {
        counter = requests.labels(route, String(status));
        requestCounters.set(key, counter);
      }
      counter.inc();
    },
    accepted: new Counter({ name: 'fosspush_messages_accepted_total', help: 'Push messages accepted (201).', registers: [registry] }),
    delivered: new Counter({ name: 'fosspush_messages_delivered_total', help: 'Push messages written to a device stream.', registers: [registry] }),
    expired: new Counter({ name: 'fosspush_messages_expired_total', help: 'Queued push messages dropped when their TTL ran out.', registers: [registry] }),
    rateLimited: new Counter({
      name: 'fosspush_rate_limited_total',
      help: 'Requests refused with 429, by limit.',
      labelNames: ['scope'],
      registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'fosspush_delivery_latency_seconds',
      help: 'From a message being accepted to its write on a device stream.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 600, 3600],
      registers: [registry],
    }),
  };
}
