import { FosspushError, type Urgency } from '@fosspush/core';
import type { MessageFields } from '../outgoing.js';
import type { Recipient } from '../recipient.js';

/** firebase-admin's `AndroidConfig`, the fields with a Web Push meaning. */
export interface AndroidConfig {
  collapseKey?: string;
  priority?: 'high' | 'normal';
  /** Milliseconds, as in firebase-admin. */
  ttl?: number;
  data?: Record<string, string>;
  notification?: Record<string, string>;
  restrictedPackageName?: string;
}

/** firebase-admin's `WebpushConfig`: its headers win over the Android ones. */
export interface WebpushConfig {
  headers?: { TTL?: string; Urgency?: Urgency; Topic?: string } & Record<string, string>;
  data?: Record<string, string>;
  notification?: Record<string, string>;
}

export interface BaseMessage {
  data?: Record<string, string>;
  notification?: { title?: string; body?: string; imageUrl?: string } & Record<string, string>;
  android?: AndroidConfig;
  webpush?: WebpushConfig;
  /** Accepted for compatibility; an APNs config has no meaning on Web Push. */
  apns?: unknown;
  fcmOptions?: unknown;
}

/** firebase-admin's `TokenMessage`; `token` may also be a W3C PushSubscription. */
export interface TokenMessage extends BaseMessage {
  token: Recipient;
}

/** firebase-admin's `TopicMessage`: every token subscribed to the topic (`/topics/` optional). */
export interface TopicMessage extends BaseMessage {
  topic: string;
}

/** firebase-admin's `ConditionMessage`: FCM's grammar, `'a' in topics && ('b' in topics || 'c' in topics)`. */
export interface ConditionMessage extends BaseMessage {
  condition: string;
}

/** firebase-admin's `Message`: to one token, a topic's members, or a condition's. */
export type Message = TokenMessage | TopicMessage | ConditionMessage;

export interface MulticastMessage extends BaseMessage {
  tokens: readonly Recipient[];
}

function invalidArgument(message: string, field: string): FosspushError {
  return new FosspushError('INVALID_MESSAGE', message, { details: { field } });
}

function readTtlSeconds(message: BaseMessage): number | undefined {
  const header = message.webpush?.headers?.TTL;
  if (header !== undefined) {
    if (!/^\d+$/.test(header)) throw new FosspushError('INVALID_TTL', 'webpush.headers.TTL must be a whole number of seconds', { details: { field: 'webpush.headers.TTL' } });
    return Number(header);
  }
  const ttlMs = message.android?.ttl;
  if (ttlMs === undefined) return undefined;
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs < 0) {
    throw new FosspushError('INVALID_TTL', 'android.ttl must be a non-negative number of milliseconds', { details: { field: 'android.ttl' } });
  }
  return Math.ceil(ttlMs / 1000);
}

function mergeMaps(field: string, ...maps: (Record<string, string> | undefined)[]): Record<string, string> | undefined {
  const present = maps.filter((map) => map !== undefined && map !== null);
  for (const map of present) {
    if (typeof map !== 'object' || Array.isArray(map)) throw invalidArgument(`${field} must be an object of strings`, field);
  }
  return present.length === 0 ? undefined : Object.assign({}, ...present);
}

/**
 * Reads a firebase-admin message: `data` and `notification` merge the top level, then
 * `android`, then `webpush` (the more specific wins); Topic, Urgency and TTL come from
 * `webpush.headers`, else from `android.collapseKey`, `android.priority`, `android.ttl`.
 */
export function fcmMessageFields(message: BaseMessage, dryRun: boolean): MessageFields {
  if (typeof message !== 'object' || message === null) throw invalidArgument('message must be an object', 'message');
  return {
    data: mergeMaps('data', message.data, message.android?.data, message.webpush?.data),
    notification: mergeMaps('notification', message.notification, message.android?.notification, message.webpush?.notification),
    collapseKey: message.webpush?.headers?.Topic ?? message.android?.collapseKey,
    priority: message.webpush?.headers?.Urgency ?? message.android?.priority,
    timeToLive: readTtlSeconds(message),
    dryRun,
  };
}
