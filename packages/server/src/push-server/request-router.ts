import type { IncomingMessage, ServerResponse } from 'node:http';
import { FosspushError } from '@fosspush/core';
import { refuseRequest } from '@fosspush/webpush/node';
import { handleMatrixNotify } from '../handlers/matrix-gateway.js';
import { handleMessage } from '../handlers/message.js';
import { handlePush } from '../handlers/push.js';
import { handleSubscribe } from '../handlers/subscribe.js';
import { handleDiscovery } from '../handlers/unifiedpush-discovery.js';
import { handleDeleteSet, handleUnsubscribe } from '../handlers/unsubscribe.js';
import { answerClientError } from '../http/client-error.js';
import { locateRoute } from '../http/locate.js';
import { sendJson } from '../http/respond.js';
import type { Route } from '../http/routes.js';
import type { FailureReporter } from './failure-reporter.js';
import { openStreamTarget } from './stream-open.js';
import type { PushServerWiring } from './wiring.js';

/** The route a response answers, for the request metrics. */
const ROUTE = Symbol('fosspush.route');
type RoutedResponse = ServerResponse & { [ROUTE]?: string };

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves every HTTP request of the public listener (and answers node's own parser refusals);
 * returns the handler of the operator listener, which serves `/healthz` and `/metrics` only.
 */
export function routeRequests(wiring: PushServerWiring, failures: FailureReporter): RequestHandler {
  const { ctx, drain, httpServer, metrics, settings, address } = wiring;

  const answerOperatorRoute = async (res: ServerResponse, route: { name: 'healthz' | 'metrics' }): Promise<void> => {
    if (route.name === 'healthz') {
      await ctx.store.ping();
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
        return handlePush(ctx, req, res, route.pushId);
      case 'message':
        return handleMessage(ctx, req, res, route.messageId);
      case 'matrix-notify':
        return handleMatrixNotify(ctx, req, res);
      case 'subscription':
        return handleUnsubscribe(ctx, req, res, route.setId, route.pushId);
      case 'set':
        return handleDeleteSet(ctx, req, res, route.setId);
      case 'events':
        return wiring.transports.sse.handle(req, res, await openStreamTarget(ctx.subscriptions, req, route.setId, 'events'));
      case 'websocket':
        throw new FosspushError('INVALID_REQUEST', 'this is a WebSocket endpoint: send an Upgrade request');
    }
  };

  // One listener function for every response and the route name on the response itself: a
  // closure per request would be garbage on the hottest path.
  function onResponseClose(this: RoutedResponse): void {
    metrics.countRequest(this[ROUTE] ?? 'unknown', this.statusCode);
    drain.finished();
  }

  const handleRequest = async (req: IncomingMessage, res: RoutedResponse): Promise<void> => {
    try {
      wiring.limitClient(req.headers, req.socket.remoteAddress);
      const route = locateRoute(req, address.basePath);
      res[ROUTE] = route.name;
      await dispatch(req, res, route);
    } catch (error) {
      failures.refuse(req, res, res[ROUTE], error);
    }
  };

  httpServer.on('request', (req: IncomingMessage, res: RoutedResponse) => {
    drain.started();
    res.on('close', onResponseClose);
    if (drain.closing) {
      res.setHeader('connection', 'close');
      refuseRequest(req, res, new FosspushError('UNAVAILABLE', 'the server is shutting down'));
      return;
    }
    void handleRequest(req, res);
  });

  httpServer.on('clientError', answerClientError);

  return (req: IncomingMessage, res: RoutedResponse): void => {
    (async () => {
      const route = locateRoute(req, address.basePath);
      res[ROUTE] = route.name;
      if (route.name !== 'healthz' && route.name !== 'metrics') throw new FosspushError('NOT_FOUND', 'the operator listener serves /healthz and /metrics');
      await answerOperatorRoute(res, route);
    })().catch((error: unknown) => failures.refuse(req, res, res[ROUTE], error));
  };
}
