import * as http from 'node:http';
import * as https from 'node:https';
import { FosspushError, withDefaults } from '@fosspush/core';

export interface HttpRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
}

export interface HttpClientOptions {
  /**
   * Sockets kept per origin. Requests beyond it queue in the agent, so it is set to the
   * sender's concurrency: every in-flight send has a warm connection.
   * @default 50
   */
  maxSocketsPerOrigin?: number;
  /**
   * A request whose connection stays silent this long fails with TIMEOUT, which is retried
   * like any transient failure.
   * @default 30000
   */
  timeoutMs?: number;
}

export const HTTP_CLIENT_DEFAULTS = { maxSocketsPerOrigin: 50, timeoutMs: 30_000 } satisfies Required<HttpClientOptions>;

export interface HttpClient {
  request(request: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

/**
 * A keep-alive HTTP/1.1 client on `node:http` agents. It is several times faster than
 * `fetch` for many small POSTs (measured in bench/), and reuses one connection per in-flight
 * send instead of opening one per message. Response bodies are drained, never kept: a push
 * service says all a sender needs in the status and headers.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const settings = withDefaults(HTTP_CLIENT_DEFAULTS, options);
  const agentOptions = { keepAlive: true, maxSockets: settings.maxSocketsPerOrigin, scheduling: 'lifo' as const };
  const agents = { 'http:': new http.Agent(agentOptions), 'https:': new https.Agent(agentOptions) };

  return {
    request({ url, method, headers, body }) {
      return new Promise((resolve, reject) => {
        const target = new URL(url);
        const protocol = target.protocol === 'https:' || target.protocol === 'http:' ? target.protocol : undefined;
        if (!protocol) {
          reject(new FosspushError('INVALID_TOKEN', `cannot send to a ${target.protocol} endpoint`));
          return;
        }
        const send = protocol === 'https:' ? https.request : http.request;
        const outgoing = send(
          target,
          { method, agent: agents[protocol], headers: { ...headers, 'content-length': String(body.length) }, timeout: settings.timeoutMs },
          (response) => {
            response.resume();
            response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
            response.on('error', (cause) => reject(new FosspushError('UNAVAILABLE', `reading the response from ${target.origin} failed`, { cause })));
          },
        );
        outgoing.on('timeout', () => {
          outgoing.destroy(new FosspushError('TIMEOUT', `${target.origin} did not answer within ${settings.timeoutMs} ms`));
        });
        outgoing.on('error', (cause) => {
          reject(cause instanceof FosspushError ? cause : new FosspushError('UNAVAILABLE', `sending to ${target.origin} failed: ${cause.message}`, { cause }));
        });
        outgoing.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
