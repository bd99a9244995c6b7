import { FosspushError } from '@fosspush/core';
import type { MessageFields } from '../outgoing.js';
import type { Recipient } from '../recipient.js';
import type { AndroidConfig, ApnsConfig, FcmOptions, Notification, WebpushConfig } from './config.js';

export type { AndroidConfig, AndroidNotification, ApnsConfig, FcmOptions, Notification, WebpushConfig, WebpushNotification } from './config.js';

export interface BaseMessage {
  data?: { [key: string]: string };
  notification?: Notification;
  android?: AndroidConfig;
  webpush?: WebpushConfig;
  /** Accepted for compatibility; an APNs config has no meaning on fosspush's channels. */
  apns?: ApnsConfig;
  /** Accepted for compatibility; fosspush has no analytics. */
  fcmOptions?: FcmOptions;
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

function mergeMaps(field: string, ...maps: (object | undefined)[]): Record<string, unknown> | undefined {
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
    notification: notificationFields(message),
    collapseKey: message.webpush?.headers?.Topic ?? message.android?.collapseKey,
    priority: message.webpush?.headers?.Urgency ?? message.android?.priority,
    timeToLive: readTtlSeconds(message),
    dryRun,
  };
}

/**
 * A notification field as the app receives it: a string, as FCM hands notification fields to
 * an Android app. Numbers and booleans become their text (`3`, `true`), dates ISO 8601, and
 * arrays and objects (webpush `actions`, `vibrateTimingsMillis`, `lightSettings`) JSON.
 */
function notificationValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The merged notification, with `webpush.fcmOptions.link` as `link` (the page a click opens). */
function notificationFields(message: BaseMessage): Record<string, string> | undefined {
  const merged = mergeMaps('notification', message.notification, message.android?.notification, message.webpush?.notification);
  const link = message.webpush?.fcmOptions?.link;
  if (merged === undefined && link === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged ?? {})) if (value !== undefined && value !== null) out[key] = notificationValue(value);
  if (link !== undefined) out['link'] = notificationValue(link);
  return out;
}
