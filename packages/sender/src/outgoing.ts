import { FosspushError, MAX_WEB_PUSH_PLAINTEXT_BYTES, PUSH_LIMITS, type Urgency, URGENCIES, utf8Encode, validateTtl } from '@fosspush/core';
import { collapseKeyToTopic } from './topic.js';

/**
 * A message as every channel sends it, after the node-gcm or firebase-admin shape has been
 * read: the plaintext is still to be encrypted, once per token (RFC 8291 keys are per
 * registration).
 */
export interface OutgoingMessage {
  /** UTF-8 JSON `{"data": {...}, "notification"?: {...}}`: what the app's SDK decrypts. */
  readonly plaintext: Uint8Array;
  readonly ttlSeconds: number;
  readonly urgency: Urgency;
  readonly topic?: string;
  /** Validate, encrypt and build the request, but send nothing. */
  readonly dryRun: boolean;
}

/** The fields both API shapes reduce to before they become an `OutgoingMessage`. */
export interface MessageFields {
  data?: unknown;
  notification?: unknown;
  collapseKey?: unknown;
  priority?: unknown;
  /** Seconds. */
  timeToLive?: unknown;
  dryRun?: unknown;
}

/** GCM's default and maximum time to live: four weeks. */
export const DEFAULT_TTL_SECONDS = PUSH_LIMITS.maxTtlSeconds;

/** Keys GCM and FCM reserve inside `data`; the receiving SDKs put their own fields there. */
const RESERVED_DATA_KEYS = new Set(['from', 'message_type', 'collapse_key', 'notification']);
const RESERVED_DATA_PREFIXES = ['google', 'gcm'];

function invalidMessage(message: string, field: string): FosspushError {
  return new FosspushError('INVALID_MESSAGE', message, { details: { field } });
}

function readStringMap(value: unknown, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidMessage(`${field} must be an object of strings`, field);
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw invalidMessage(`${field}.${key} must be a string (GCM and FCM carry data values as strings)`, field);
    }
    out[key] = entry;
  }
  return out;
}

function readData(value: unknown): Record<string, string> {
  const data = readStringMap(value, 'data');
  for (const key of Object.keys(data)) {
    const lower = key.toLowerCase();
    if (RESERVED_DATA_KEYS.has(lower) || RESERVED_DATA_PREFIXES.some((prefix) => lower.startsWith(prefix))) {
      throw invalidMessage(`data key "${key}" is reserved`, 'data');
    }
  }
  return data;
}

/**
 * GCM priorities (`high`/`normal`, or the legacy 10/5) and RFC 8030 urgencies both map to
 * `Urgency`; GCM's default, normal, is RFC 8030's default too.
 */
export function priorityToUrgency(priority: unknown): Urgency {
  if (priority === undefined || priority === null) return 'normal';
  if (priority === 10) return 'high';
  if (priority === 5) return 'normal';
  if (typeof priority === 'string' && URGENCIES.includes(priority as Urgency)) return priority as Urgency;
  throw new FosspushError('INVALID_URGENCY', `priority must be high, normal, low or very-low, got ${String(priority)}`, {
    details: { field: 'priority' },
  });
}

function readTtl(timeToLive: unknown): number {
  if (timeToLive === undefined || timeToLive === null) return DEFAULT_TTL_SECONDS;
  return validateTtl(timeToLive);
}

/**
 * Reads and checks a message once for all its tokens. Everything that can be refused is
 * refused here, before any network call: a payload over the limit is PAYLOAD_TOO_LARGE
 * (GCM's MessageTooBig) without a byte sent.
 */
export function createOutgoingMessage(fields: MessageFields): OutgoingMessage {
  const data = readData(fields.data);
  const hasNotification = fields.notification !== undefined && fields.notification !== null;
  const body: { data: Record<string, string>; notification?: Record<string, string>; collapseKey?: string } = hasNotification
    ? { data, notification: readStringMap(fields.notification, 'notification') }
    : { data };
  // The Topic header carries a hashed key when the original does not fit RFC 8030; the app
  // still gets the original, inside the encrypted payload.
  const topic = typeof fields.collapseKey === 'string' ? collapseKeyToTopic(fields.collapseKey) : undefined;
  if (typeof fields.collapseKey === 'string' && topic !== fields.collapseKey) body.collapseKey = fields.collapseKey;
  const plaintext = utf8Encode(JSON.stringify(body));
  if (plaintext.length > MAX_WEB_PUSH_PLAINTEXT_BYTES) {
    throw new FosspushError(
      'PAYLOAD_TOO_LARGE',
      `message is ${plaintext.length} bytes as JSON, the limit is ${MAX_WEB_PUSH_PLAINTEXT_BYTES} (4096 once encrypted)`,
      { details: { field: 'data', size: plaintext.length } },
    );
  }
  if (fields.collapseKey !== undefined && fields.collapseKey !== null && (typeof fields.collapseKey !== 'string' || fields.collapseKey === '')) {
    throw new FosspushError('INVALID_TOPIC', 'collapseKey must be a non-empty string', { details: { field: 'collapseKey' } });
  }
  const message: OutgoingMessage = {
    plaintext,
    ttlSeconds: readTtl(fields.timeToLive),
    urgency: priorityToUrgency(fields.priority),
    dryRun: fields.dryRun === true,
  };
  return topic === undefined ? message : { ...message, topic };
}
