import type { ServerResponse } from 'node:http';
import { sendJson } from '../http/respond.js';

/**
 * `GET /p/<pushId>`: UnifiedPush discovery. An app server (Mastodon, a Matrix homeserver's
 * admin, NextPush's clients) GETs an endpoint to learn that it is a UnifiedPush push server.
 * The answer is the same for every id, existing or not, so it is no oracle for which
 * subscriptions exist; nor does it say anything else about one.
 */
export function handleDiscovery(res: ServerResponse): void {
  sendJson(res, 200, UNIFIEDPUSH_DISCOVERY, { 'cache-control': 'max-age=86400' });
}

export const UNIFIEDPUSH_DISCOVERY = { unifiedpush: { version: 1 } } as const;
