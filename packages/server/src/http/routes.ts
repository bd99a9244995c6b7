import { FosspushError } from '@fosspush/core';

/** The HTTP layout of the push service; device-wire packages and clients depend on it. */
export type Route =
  | { name: 'healthz' }
  | { name: 'metrics' }
  | { name: 'subscribe' }
  | { name: 'push'; pushId: string }
  /** The Matrix push gateway (UnifiedPush's gateway for Matrix homeservers). */
  | { name: 'matrix-notify' }
  | { name: 'message'; messageId: string }
  | { name: 'set'; setId: string }
  | { name: 'subscription'; setId: string; pushId: string }
  | { name: 'websocket'; setId: string }
  | { name: 'events'; setId: string };

const ID = '([A-Za-z0-9_-]{1,64})';
const PATTERNS: readonly [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/healthz$/, () => ({ name: 'healthz' })],
  [/^\/metrics$/, () => ({ name: 'metrics' })],
  [/^\/subscribe$/, () => ({ name: 'subscribe' })],
  [/^\/_matrix\/push\/v1\/notify$/, () => ({ name: 'matrix-notify' })],
  [new RegExp(`^/p/${ID}$`), (m) => ({ name: 'push', pushId: m[1] as string })],
  [new RegExp(`^/m/${ID}$`), (m) => ({ name: 'message', messageId: m[1] as string })],
  [new RegExp(`^/set/${ID}$`), (m) => ({ name: 'set', setId: m[1] as string })],
  [new RegExp(`^/set/${ID}/s/${ID}$`), (m) => ({ name: 'subscription', setId: m[1] as string, pushId: m[2] as string })],
  [new RegExp(`^/set/${ID}/ws$`), (m) => ({ name: 'websocket', setId: m[1] as string })],
  [new RegExp(`^/set/${ID}/events$`), (m) => ({ name: 'events', setId: m[1] as string })],
];

const METHODS: Record<Route['name'], readonly string[]> = {
  healthz: ['GET', 'HEAD'],
  metrics: ['GET'],
  subscribe: ['POST'],
  /** GET is UnifiedPush discovery. */
  push: ['POST', 'GET'],
  'matrix-notify': ['GET', 'POST'],
  message: ['GET', 'DELETE'],
  set: ['DELETE'],
  subscription: ['DELETE'],
  websocket: ['GET'],
  events: ['GET'],
};

/** Resolves a request to its route, or throws NOT_FOUND / METHOD_NOT_FOUND (405 with Allow). */
export function matchRoute(method: string, pathname: string): Route {
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(pathname);
    if (!match) continue;
    const route = build(match);
    const allowed = METHODS[route.name];
    if (!allowed.includes(method)) {
      throw new FosspushError('METHOD_NOT_FOUND', `${method} is not allowed here`, { details: { allow: allowed.join(', ') } });
    }
    return route;
  }
  throw new FosspushError('NOT_FOUND', `nothing at ${pathname.slice(0, 100)}`);
}

/** The set id in a set URL (`…/set/<id>`) a device sent back in a Link header. */
export function setIdFromUri(uri: string, base: string): string {
  let pathname: string;
  try {
    pathname = new URL(uri, base).pathname;
  } catch {
    pathname = '';
  }
  const match = new RegExp(`/set/${ID}/?$`).exec(pathname);
  if (!match) throw new FosspushError('NOT_FOUND', 'the set link does not name a subscription set of this server');
  return match[1] as string;
}
