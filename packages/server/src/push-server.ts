import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { FosspushError } from '@fosspush/core';
import type { PushDeviceHub } from './hub/device-hub.js';
import type { PushMetrics } from './metrics.js';
import type { PushServerOptions } from './options.js';
import { serveRawPushes } from './http/raw-push/raw-push-path.js';
import { createFailureReporter } from './push-server/failure-reporter.js';
import { createListener } from './push-server/listener.js';
import { routeRequests } from './push-server/request-router.js';
import { startSweeper } from './push-server/sweeper.js';
import { routeUpgrades } from './push-server/upgrade-router.js';
import { wirePushServer } from './push-server/wiring.js';

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
  const wiring = wirePushServer(options);
  const stopSweeper = startSweeper(wiring);
  const failures = createFailureReporter(wiring);
  const operatorHandler = routeRequests(wiring, failures);
  routeUpgrades(wiring);
  if (wiring.settings.fastPushPath) serveRawPushes(wiring, failures);
  const listener = createListener(wiring, stopSweeper);
  return {
    ready: () => wiring.storage.ready(),
    listen: (port = 8080, host = '127.0.0.1') => listener.listen(port, host),
    close: () => listener.close(),
    get url() {
      const url = wiring.address.listenUrl;
      if (url === undefined) throw new FosspushError('CLOSED', 'the server is not listening yet');
      return url;
    },
    hub: wiring.hub,
    metrics: wiring.metrics,
    httpServer: wiring.httpServer,
    operatorHandler,
  };
}
