import type { webcrypto } from 'node:crypto';
import {
  bufferSource,
  FosspushError,
  fromBase64Url,
  type PushMessage,
  toBase64Url,
  URGENCIES,
  type Urgency,
  utf8Decode,
  utf8Encode,
  validateMessageId,
  validatePayload,
  validateTopic,
} from '@fosspush/core';

/**
 * One push message as a DHT value. Anyone can put a value under any key of a DHT, and every
 * node on the key's path can read it, so the value carries three things beside the RFC 8291
 * ciphertext:
 * - the Web Push metadata a push server would have kept (id, sent time, TTL, urgency, topic);
 * - an HMAC keyed from the registration's auth secret, which only the device and the token's
 *   holders know: a value put by anyone else, a DHT node included, is dropped before delivery;
 * - for a registration restricted to a VAPID key, the sender's RFC 8292 `Authorization` value.
 */
export interface DhtEnvelope {
  v: 1;
  id: string;
  sentAt: number;
  ttl: number;
  urgency: Urgency;
  topic?: string;
  vapid?: string;
  /** The RFC 8291 ciphertext, base64url. */
  payload: string;
  /** HMAC-SHA-256 over the fields above, base64url. */
  mac: string;
}

/** The JSON OpenDHT's proxy takes in a put and streams back on a listen. */
export interface DhtValue {
  /** The value's bytes, standard base64. */
  data: string;
  /** A 64-bit value id, decimal. */
  id: string;
  /** OpenDHT's value type 0: user data, kept 10 minutes. */
  type: 0;
}

export const DHT_LIMITS = {
  /** OpenDHT keeps a value of type 0 for 10 minutes: a message lives at most that long. */
  maxTtlSeconds: 600,
  /** A streamed value line larger than this is dropped unread: a full message is under 7 KiB. */
  maxValueBytes: 8192,
  /** Sender and device clocks may disagree this much before a value counts as from the future. */
  maxClockSkewMs: 10 * 60_000,
} as const;

const MAC_SALT = utf8Encode('fosspush-dht-v1');

function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function base64ToBytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** The MAC key of one registration: HKDF-SHA-256 of its auth secret, bound to its info hash. */
export async function macKeyFor(auth: string, infoHash: string): Promise<webcrypto.CryptoKey> {
  const secret = fromBase64Url(auth, 'the auth secret', 'INVALID_KEY');
  const ikm = await crypto.subtle.importKey('raw', bufferSource(secret), 'HKDF', false, ['deriveKey']);
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: bufferSource(MAC_SALT), info: bufferSource(utf8Encode(infoHash)) },
    ikm,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign', 'verify'],
  );
}

function macInput(envelope: Omit<DhtEnvelope, 'mac'>): Uint8Array {
  const { v, id, sentAt, ttl, urgency, topic, vapid, payload } = envelope;
  return utf8Encode(JSON.stringify([v, id, sentAt, ttl, urgency, topic ?? null, vapid ?? null, payload]));
}

function dropped(code: 'INVALID_MESSAGE' | 'UNAUTHENTICATED' | 'EXPIRED' | 'PAYLOAD_TOO_LARGE', reason: string): FosspushError {
  return new FosspushError(code, `dropped a DHT value: ${reason}`, { details: { reason } });
}

/**
 * Seals a message for one registration: the value an app server puts under the registration's
 * info hash. `randomId` is the DHT value id (64 random bits as a decimal string).
 */
export async function sealDhtValue(message: PushMessage, macKey: webcrypto.CryptoKey, randomId: Uint8Array, vapid?: string): Promise<DhtValue> {
  const unsigned: Omit<DhtEnvelope, 'mac'> = {
    v: 1,
    id: message.id,
    sentAt: message.sentAt,
    ttl: Math.min(message.ttlSeconds, DHT_LIMITS.maxTtlSeconds),
    urgency: message.urgency,
    topic: message.topic,
    vapid,
    payload: toBase64Url(message.payload),
  };
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', macKey, bufferSource(macInput(unsigned))));
  const envelope: DhtEnvelope = { ...unsigned, mac: toBase64Url(mac) };
  const view = new DataView(randomId.buffer, randomId.byteOffset, 8);
  // OpenDHT treats id 0 as "no id" and picks its own: keep ours non-zero.
  const id = view.getBigUint64(0) || 1n;
  return { data: bytesToBase64(utf8Encode(JSON.stringify(envelope))), id: id.toString(), type: 0 };
}

function parseEnvelope(data: unknown): DhtEnvelope {
  if (typeof data !== 'string') throw dropped('INVALID_MESSAGE', 'no data');
  let envelope: unknown;
  try {
    envelope = JSON.parse(utf8Decode(base64ToBytes(data)));
  } catch {
    throw dropped('INVALID_MESSAGE', 'data is not base64 JSON');
  }
  if (typeof envelope !== 'object' || envelope === null) throw dropped('INVALID_MESSAGE', 'data is not an object');
  const e = envelope as Partial<Record<keyof DhtEnvelope, unknown>>;
  const integer = (value: unknown) => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
  if (e.v !== 1) throw dropped('INVALID_MESSAGE', 'unknown envelope version');
  if (!integer(e.sentAt) || !integer(e.ttl) || typeof e.payload !== 'string' || typeof e.mac !== 'string') {
    throw dropped('INVALID_MESSAGE', 'missing fields');
  }
  if (!URGENCIES.includes(e.urgency as Urgency)) throw dropped('INVALID_MESSAGE', 'bad urgency');
  if (e.vapid !== undefined && typeof e.vapid !== 'string') throw dropped('INVALID_MESSAGE', 'bad vapid');
  try {
    validateMessageId(e.id);
    if (e.topic !== undefined) validateTopic(e.topic);
  } catch {
    throw dropped('INVALID_MESSAGE', 'bad id or topic');
  }
  return envelope as DhtEnvelope;
}

/**
 * Opens one streamed value for the registration whose MAC key is given. Throws a FosspushError
 * whose `details.reason` says why the value was dropped: INVALID_MESSAGE (not ours, malformed),
 * UNAUTHENTICATED (wrong MAC), EXPIRED, PAYLOAD_TOO_LARGE.
 */
export async function openDhtValue(value: { data?: unknown }, macKey: webcrypto.CryptoKey, nowMs: number): Promise<{ message: PushMessage; vapid?: string }> {
  const envelope = parseEnvelope(value.data);
  let mac: Uint8Array;
  let payload: Uint8Array;
  try {
    mac = fromBase64Url(envelope.mac, 'mac', 'INVALID_MESSAGE');
    payload = fromBase64Url(envelope.payload, 'payload', 'INVALID_MESSAGE');
  } catch {
    throw dropped('INVALID_MESSAGE', 'mac or payload is not base64url');
  }
  const { mac: _mac, ...unsigned } = envelope;
  if (!(await crypto.subtle.verify('HMAC', macKey, bufferSource(mac), bufferSource(macInput(unsigned))))) throw dropped('UNAUTHENTICATED', 'the MAC does not match this registration');
  try {
    validatePayload(payload);
  } catch {
    throw dropped('PAYLOAD_TOO_LARGE', `payload of ${payload.length} bytes`);
  }
  if (envelope.sentAt > nowMs + DHT_LIMITS.maxClockSkewMs) throw dropped('INVALID_MESSAGE', 'sent in the future');
  const ttl = Math.min(envelope.ttl, DHT_LIMITS.maxTtlSeconds);
  if (envelope.sentAt + ttl * 1000 < nowMs) throw dropped('EXPIRED', 'past its TTL');
  const message: PushMessage = {
    id: envelope.id,
    payload,
    ttlSeconds: ttl,
    urgency: envelope.urgency,
    sentAt: envelope.sentAt,
    topic: envelope.topic,
  };
  return envelope.vapid === undefined ? { message } : { message, vapid: envelope.vapid };
}
