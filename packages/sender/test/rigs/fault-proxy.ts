import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does with one request: pass it upstream, answer a status itself, or drop the connection. */
export type Fault = 'pass' | 'reset' | { status: number; retryAfter?: string };

/**
 * A small real HTTP proxy on a loopback port that injects faults in front of a push service:
 * `plan(n)` decides for the n-th request (from 0). It counts requests and TCP connections, so
 * tests can check retries and keep-alive reuse.
 */
export interface FaultProxy {
  /** The proxy's origin; rewrite an endpoint onto it with `via()`. */
  readonly origin: string;
  via(endpoint: string): string;
  /** When each request arrived (performance.now()), in order. */
  readonly arrivals: number[];
  readonly connections: number;
  close(): Promise<void>;
}

export async function startFaultProxy(upstream: string, plan: (index: number) => Fault): Promise<FaultProxy> {
  const upstreamUrl = new URL(upstream);
  const arrivals: number[] = [];
  let connections = 0;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const fault = plan(arrivals.length);
    arrivals.push(performance.now());
    if (fault === 'reset') {
      incoming.socket.destroy();
      return;
    }
    if (fault !== 'pass') {
      incoming.resume();
      outgoing.writeHead(fault.status, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }).end();
      return;
    }
    const forward = request(
      { host: upstreamUrl.hostname, port: upstreamUrl.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstreamUrl.host } },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forward.on('error', () => outgoing.destroy());
    incoming.pipe(forward);
  });
  server.on('connection', () => {
    connections++;
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    via: (endpoint) => {
      const url = new URL(endpoint);
      return `${origin}${url.pathname}${url.search}`;
    },
    arrivals,
    get connections() {
      return connections;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
