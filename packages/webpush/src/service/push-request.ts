import { FosspushError, PUSH_LIMITS, type Urgency, validateTopic, validateUrgency } from '@fosspush/core';
import { checkAes128gcmBody } from './aes128gcm.js';
import { type HeaderBag, headerValue } from './headers.js';

/** A push request as any HTTP framework hands it over. */
export interface PushRequestInput {
  /** Checked when given: only POST delivers a push message. */
  method?: string;
  headers: HeaderBag;
  body: Uint8Array;
}

export interface PushRequestLimits {
  /**
   * Larger bodies get 413. RFC 8030 section 7.2 requires at least 4096.
   * @default 4096
   */
  maxPayloadBytes?: number;
  /**
   * A longer requested TTL is lowered to this, and the answer's `TTL` header says so
   * (RFC 8030 section 5.2).
   * @default 2419200 (28 days)
   */
  maxTtlSeconds?: number;
  /**
   * The TTL of a push that sends none. RFC 8030 section 5.2 requires the header, but some
   * UnifiedPush app servers omit it; unset keeps the strict answer (400 INVALID_TTL).
   * @default undefined (strict)
   */
  defaultTtlSeconds?: number;
}

export const PUSH_REQUEST_LIMITS_DEFAULTS = {
  maxPayloadBytes: PUSH_LIMITS.maxPayloadBytes,
  maxTtlSeconds: PUSH_LIMITS.maxTtlSeconds,
} as const satisfies Required<Omit<PushRequestLimits, 'defaultTtlSeconds'>>;

/** A valid push request, ready to be stored and delivered. */
export interface AcceptedPush {
  /** The TTL the service will honour (the requested one, capped): echo it in the `TTL` header. */
  ttlSeconds: number;
  urgency: Urgency;
  topic?: string;
  /** The aes128gcm body, or empty for a push without data. */
  payload: Uint8Array;
  /** The sender asked for `Prefer: respond-async` (RFC 8030 section 5.1). */
  respondAsync: boolean;
}

const DELTA_SECONDS = /^\d+$/;

function invalid(code: 'INVALID_TTL' | 'INVALID_REQUEST', message: string, field: string): FosspushError {
  return new FosspushError(code, message, { details: { field } });
}

function parseTtl(value: string | undefined, maxTtlSeconds: number, defaultTtlSeconds: number | undefined): number {
  if (value === undefined && defaultTtlSeconds !== undefined) return Math.min(defaultTtlSeconds, maxTtlSeconds);
  if (value === undefined) throw invalid('INVALID_TTL', 'the TTL header is required (RFC 8030 section 5.2)', 'TTL');
  const trimmed = value.trim();
  if (!DELTA_SECONDS.test(trimmed)) {
    throw invalid('INVALID_TTL', `TTL must be a whole number of seconds, got ${JSON.stringify(value.slice(0, 40))}`, 'TTL');
  }
  // A huge digit string parses to a huge number or Infinity: both are simply capped.
  return Math.min(Number(trimmed), maxTtlSeconds);
}

function parseUrgency(value: string | undefined): Urgency {
  if (value === undefined) return 'normal';
  try {
    return validateUrgency(value.trim().toLowerCase());
  } catch (cause) {
    throw new FosspushError('INVALID_URGENCY', `Urgency must be very-low, low, normal or high, got ${JSON.stringify(value.slice(0, 40))}`, {
      cause,
      details: { field: 'Urgency' },
    });
  }
}

function parseTopic(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return validateTopic(value.trim());
  } catch (cause) {
    throw new FosspushError('INVALID_TOPIC', 'Topic must be 1 to 32 base64url characters (RFC 8030 section 5.4)', {
      cause,
      details: { field: 'Topic' },
    });
  }
}

function checkEncoding(value: string | undefined, body: Uint8Array): void {
  if (body.length === 0) return;
  const encoding = value?.trim().toLowerCase();
  if (encoding === undefined || encoding === '') {
    throw invalid('INVALID_REQUEST', 'a push with a body needs Content-Encoding: aes128gcm (RFC 8291)', 'Content-Encoding');
  }
  if (encoding !== 'aes128gcm') {
    throw invalid(
      'INVALID_REQUEST',
      `Content-Encoding ${JSON.stringify(encoding.slice(0, 40))} is not supported: use aes128gcm (RFC 8291); the older aesgcm draft is not accepted`,
      'Content-Encoding',
    );
  }
  checkAes128gcmBody(body);
}

function prefersRespondAsync(value: string | undefined): boolean {
  if (value === undefined) return false;
  return value.split(',').some((preference) => preference.split(';')[0]?.trim().toLowerCase() === 'respond-async');
}

/**
 * Validates a push request (RFC 8030 section 5, RFC 8291): `TTL` required, `Urgency`,
 * `Topic`, `Content-Encoding: aes128gcm`, body size. VAPID is checked separately by
 * `authorizePush`, because only restricted subscriptions need it.
 * Throws a FosspushError whose code `httpStatusFor` maps to the answer.
 *
 * @example
 * const push = parsePushRequest({ method: req.method, headers: req.headers, body });
 * res.writeHead(201, { location: `/m/${id}`, ttl: String(push.ttlSeconds) });
 */
export function parsePushRequest(input: PushRequestInput, limits: PushRequestLimits = {}): AcceptedPush {
  const maxPayloadBytes = limits.maxPayloadBytes ?? PUSH_REQUEST_LIMITS_DEFAULTS.maxPayloadBytes;
  const maxTtlSeconds = limits.maxTtlSeconds ?? PUSH_REQUEST_LIMITS_DEFAULTS.maxTtlSeconds;
  if (input.method !== undefined && input.method.toUpperCase() !== 'POST') {
    throw new FosspushError('METHOD_NOT_FOUND', `${input.method} is not allowed on a push resource`, { details: { allow: 'POST' } });
  }
  const { headers, body } = input;
  if (body.length > maxPayloadBytes) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `the body is ${body.length} bytes, the limit is ${maxPayloadBytes}`, {
      details: { field: 'body', limit: maxPayloadBytes },
    });
  }
  const ttlSeconds = parseTtl(headerValue(headers, 'ttl'), maxTtlSeconds, limits.defaultTtlSeconds);
  const urgency = parseUrgency(headerValue(headers, 'urgency'));
  const topic = parseTopic(headerValue(headers, 'topic'));
  checkEncoding(headerValue(headers, 'content-encoding'), body);
  const accepted: AcceptedPush = {
    ttlSeconds,
    urgency,
    payload: body,
    respondAsync: prefersRespondAsync(headerValue(headers, 'prefer')),
  };
  if (topic !== undefined) accepted.topic = topic;
  return accepted;
}
