import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { FosspushError } from '@fosspush/core';
import { refuseSocket } from '@fosspush/webpush/node';
import { locateRoute } from '../http/locate.js';
import { openStreamTarget } from './stream-open.js';
import type { PushServerWiring } from './wiring.js';

/**
 * A socket error before the device wire takes over must not crash the process. A plain function
 * rather than a closure: a closure here would keep the upgrade request alive for the whole life
 * of the connection, which costs every idle device its request headers.
 */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** Hands WebSocket upgrades of `/set/<id>/ws` to the device transport; refuses every other. */
export function routeUpgrades(wiring: PushServerWiring): void {
  const { httpServer, drain, address, subscriptions, transports, metrics } = wiring;
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', destroyOnError);
    (async () => {
      if (drain.closing) throw new FosspushError('UNAVAILABLE', 'the server is shutting down');
      wiring.limitClient(req.headers, req.socket.remoteAddress);
      const route = locateRoute(req, address.basePath);
      if (route.name !== 'websocket') throw new FosspushError('NOT_FOUND', 'only /set/<id>/ws accepts a WebSocket');
      transports.websocket.handleUpgrade(req, socket, head, await openStreamTarget(subscriptions, req, route.setId, 'ws'));
    })().catch((error: unknown) => {
      metrics.countRequest('websocket', refuseSocket(socket, error));
    });
  });
}
