import type { IncomingMessage } from 'node:http';
import { assertCapabilityIds } from './capabilities.js';
import { matchRoute, type Route } from './routes.js';

/**
 * The route a request asks for, below `basePath` (the path of the public URL, '' for none).
 * Split by hand: a URL object per request costs more than the rest of the routing.
 */
export function locateRoute(req: IncomingMessage, basePath: string): Route {
  const target = req.url ?? '/';
  const queryStart = target.indexOf('?');
  let pathname = queryStart < 0 ? target : target.slice(0, queryStart);
  if (basePath !== '' && pathname.startsWith(`${basePath}/`)) pathname = pathname.slice(basePath.length);
  const route = matchRoute(req.method ?? 'GET', pathname);
  assertCapabilityIds(route);
  return route;
}
