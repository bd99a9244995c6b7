import { FosspushError } from '@fosspush/core';
import type { Route } from './routes.js';

/**
 * Set ids, push ids and message ids: 128 random bits, base64url (22 characters). They are
 * capabilities, so never guessable.
 */
export const CAPABILITY_PATTERN = /^[A-Za-z0-9_-]{22}$/;

/**
 * Refuses a route whose ids are not capabilities, before any store access: a name that happens
 * to pass the router's looser pattern (`/set/unsubscribed/s/<id>`) must reach nothing.
 */
export function assertCapabilityIds(route: Route): void {
  for (const id of routeIds(route)) {
    if (!CAPABILITY_PATTERN.test(id)) throw new FosspushError('NOT_FOUND', `no such ${route.name === 'message' ? 'message' : 'subscription'}`);
  }
}

function routeIds(route: Route): string[] {
  switch (route.name) {
    case 'push':
      return [route.pushId];
    case 'message':
      return [route.messageId];
    case 'subscription':
      return [route.setId, route.pushId];
    case 'set':
    case 'websocket':
    case 'events':
      return [route.setId];
    default:
      return [];
  }
}
