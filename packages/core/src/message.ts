import { FosspushError } from './errors.js';
import { toBase64Url } from './encoding/base64url.js';
import { type Runtime, resolveRuntime } from './runtime.js';

/** Limits shared by every channel (RFC 8030, RFC 8291). */
export const PUSH_LIMITS = {
  /** An encrypted Web Push message is at most 4096 bytes (RFC 8291 section 4). */
  maxPayloadBytes: 4096,
  /** 28 days, the longest TTL push services commonly honour. */
  maxTtlSeconds: 2_419_200,
  /** RFC 8030 section 5.4: a topic is at most 32 base64url characters. */
  maxTopicLength: 32,
  maxMessageIdLength: 64,
} as const;

/** RFC 8030 section 5.3. */
export const URGENCIES = ['very-low', 'low', 'normal', 'high'] as const;
export type Urgency = (typeof URGENCIES)[number];

/**
 * One push message as every channel carries it: the payload is already encrypted (RFC 8291
 * aes128gcm) to the receiving registration, so nothing that routes it can read it.
 */
export interface PushMessage {
  /** Unique per message; receivers de-duplicate on it. URL-safe. */
  readonly id: string;
  /** The encrypted Web Push message body, at most 4096 bytes. May be empty (a tickle). */
  readonly payload: Uint8Array;
  /** Seconds the message stays deliverable; 0 means deliver now or drop. */
  readonly ttlSeconds: number;
  readonly urgency: Urgency;
  /** Replaces an undelivered message with the same topic on the same registration. */
  readonly topic?: string;
  /** When the message was accepted, in milliseconds since the epoch. */
  readonly sentAt: number;
}

export interface PushMessageInput {
  payload: Uint8Array;
  ttlSeconds: number;
  urgency?: Urgency;
  topic?: string;
  id?: string;
  sentAt?: number;
}

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;
const TOPIC_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A fresh message id: 128 random bits, base64url. */
export function newMessageId(runtime: Partial<Runtime> = {}): string {
  return toBase64Url(resolveRuntime(runtime).random.bytes(16));
}

export function validateTtl(ttlSeconds: unknown): number {
  if (
    typeof ttlSeconds !== 'number' ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds < 0 ||
    ttlSeconds > PUSH_LIMITS.maxTtlSeconds
  ) {
    throw new FosspushError(
      'INVALID_TTL',
      `ttl must be an integer number of seconds from 0 to ${PUSH_LIMITS.maxTtlSeconds}, got ${String(ttlSeconds)}`,
      { details: { field: 'ttlSeconds' } },
    );
  }
  return ttlSeconds;
}

export function validateUrgency(urgency: unknown): Urgency {
  if (!URGENCIES.includes(urgency as Urgency)) {
    throw new FosspushError('INVALID_URGENCY', `urgency must be one of ${URGENCIES.join(', ')}`, {
      details: { field: 'urgency' },
    });
  }
  return urgency as Urgency;
}

export function validateTopic(topic: unknown): string {
  if (typeof topic !== 'string' || topic.length === 0 || topic.length > PUSH_LIMITS.maxTopicLength || !TOPIC_PATTERN.test(topic)) {
    throw new FosspushError('INVALID_TOPIC', `topic must be 1 to ${PUSH_LIMITS.maxTopicLength} base64url characters`, {
      details: { field: 'topic' },
    });
  }
  return topic;
}

export function validatePayload(payload: unknown): Uint8Array {
  if (!(payload instanceof Uint8Array)) {
    throw new FosspushError('INVALID_MESSAGE', 'payload must be a Uint8Array', { details: { field: 'payload' } });
  }
  if (payload.length > PUSH_LIMITS.maxPayloadBytes) {
    throw new FosspushError(
      'PAYLOAD_TOO_LARGE',
      `encrypted payload is ${payload.length} bytes, the limit is ${PUSH_LIMITS.maxPayloadBytes}`,
      { details: { field: 'payload', size: payload.length } },
    );
  }
  return payload;
}

/** Whether `id` is a message id: 1 to 64 URL-safe characters. */
export function isMessageId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= PUSH_LIMITS.maxMessageIdLength && ID_PATTERN.test(id);
}

export function validateMessageId(id: unknown): string {
  if (!isMessageId(id)) {
    throw new FosspushError('INVALID_MESSAGE', `message id must be 1 to ${PUSH_LIMITS.maxMessageIdLength} URL-safe characters`, {
      details: { field: 'id' },
    });
  }
  return id;
}

/**
 * Validates input and fills in the id and sent time.
 *
 * @example
 * const message = createPushMessage({ payload: ciphertext, ttlSeconds: 3600, topic: 'inbox' });
 */
export function createPushMessage(input: PushMessageInput, runtime: Partial<Runtime> = {}): PushMessage {
  const resolved = resolveRuntime(runtime);
  const sentAt = input.sentAt ?? resolved.clock.now();
  if (!Number.isFinite(sentAt) || sentAt < 0) {
    throw new FosspushError('INVALID_MESSAGE', 'sentAt must be a non-negative number of milliseconds', {
      details: { field: 'sentAt' },
    });
  }
  const message: { -readonly [K in keyof PushMessage]: PushMessage[K] } = {
    id: input.id === undefined ? newMessageId(resolved) : validateMessageId(input.id),
    payload: validatePayload(input.payload),
    ttlSeconds: validateTtl(input.ttlSeconds),
    urgency: input.urgency === undefined ? 'normal' : validateUrgency(input.urgency),
    sentAt,
  };
  if (input.topic !== undefined) message.topic = validateTopic(input.topic);
  return message;
}

/** When the message stops being deliverable, in milliseconds since the epoch. */
export function expiresAt(message: Pick<PushMessage, 'sentAt' | 'ttlSeconds'>): number {
  return message.sentAt + message.ttlSeconds * 1000;
}
