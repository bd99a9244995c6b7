import {
  type ArrayBufferBytes,
  decodeToken,
  encryptWebPush,
  FosspushError,
  fromPushSubscription,
  MAX_WEB_PUSH_PLAINTEXT_BYTES,
  type PushSubscriptionJSON,
  type PushToken,
  type Urgency,
  utf8Encode,
  validateToken,
  validateTopic,
  validateTtl,
  validateUrgency,
  withDefaults,
} from '@fosspush/core';
import { nodeWebPushCrypto } from '../node/node-crypto.js';

/** Anything that signs for an endpoint: `createVapidSigner` from `@fosspush/core` fits. */
export interface VapidAuthorizer {
  /** The full `Authorization` header value (`vapid t=..., k=...`) for a push to `endpoint`. */
  authorization(endpoint: string): string | Promise<string>;
}

export interface BuildPushRequestOptions {
  /**
   * How long the push service keeps the message for an offline device; 0 is deliver now or drop.
   * @default 2419200 (28 days, as the web-push library)
   */
  ttlSeconds?: number;
  /** @default 'normal' */
  urgency?: Urgency;
  /** A queued message with the same topic is replaced by this one (RFC 8030 section 5.4). */
  topic?: string;
  /** Signs the request (RFC 8292); required by restricted subscriptions. */
  vapid?: VapidAuthorizer;
  /** Ask for `Prefer: respond-async` (RFC 8030 section 5.1). @default false */
  respondAsync?: boolean;
}

export const BUILD_PUSH_REQUEST_DEFAULTS = {
  ttlSeconds: 2_419_200,
  urgency: 'normal',
  respondAsync: false,
} as const satisfies Omit<Required<BuildPushRequestOptions>, 'topic' | 'vapid'>;

/** A ready-to-send HTTP request: hand it to `fetch(url, { method, headers, body })`. */
export interface PushHttpRequest {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  /** Backed by a plain ArrayBuffer, so `fetch` takes it as a body as is. */
  body: ArrayBufferBytes;
}

function toToken(target: string | PushToken | PushSubscriptionJSON): PushToken {
  const token =
    typeof target === 'string'
      ? decodeToken(target)
      : 'keys' in target
        ? fromPushSubscription(target)
        : validateToken(target);
  if (token.channel !== 'webpush') {
    throw new FosspushError('INVALID_TOKEN', `a ${token.channel} token has no Web Push endpoint`);
  }
  return token;
}

/**
 * Builds the RFC 8030 request that delivers `payload` to a subscription: the body encrypted
 * per RFC 8291 to the subscription's keys, the TTL/Urgency/Topic headers, and a VAPID
 * `Authorization` when a signer is given.
 *
 * @example
 * const signer = createVapidSigner({ keys: vapidKeys, subject: 'mailto:ops@example.org' });
 * const request = await buildPushRequest(token, 'hello', { vapid: signer, ttlSeconds: 3600 });
 * const response = await fetch(request.url, request);
 */
export async function buildPushRequest(
  target: string | PushToken | PushSubscriptionJSON,
  payload: Uint8Array | string | null | undefined,
  options: BuildPushRequestOptions = {},
): Promise<PushHttpRequest> {
  const settings = withDefaults(BUILD_PUSH_REQUEST_DEFAULTS, options);
  const token = toToken(target);
  const headers: Record<string, string> = {
    ttl: String(validateTtl(settings.ttlSeconds)),
    urgency: validateUrgency(settings.urgency),
  };
  if (settings.topic !== undefined) headers['topic'] = validateTopic(settings.topic);
  if (settings.respondAsync) headers['prefer'] = 'respond-async';
  if (settings.vapid !== undefined) headers['authorization'] = await settings.vapid.authorization(token.endpoint);

  let body = new Uint8Array(0);
  if (payload !== null && payload !== undefined) {
    const plaintext = typeof payload === 'string' ? utf8Encode(payload) : payload;
    if (plaintext.length > MAX_WEB_PUSH_PLAINTEXT_BYTES) {
      throw new FosspushError('PAYLOAD_TOO_LARGE', `the payload is ${plaintext.length} bytes, at most ${MAX_WEB_PUSH_PLAINTEXT_BYTES} fit in one Web Push message`, {
        details: { size: plaintext.length, limit: MAX_WEB_PUSH_PLAINTEXT_BYTES },
      });
    }
    body = new Uint8Array(await encryptWebPush(plaintext, { p256dh: token.p256dh, auth: token.auth }, { crypto: nodeWebPushCrypto }));
    headers['content-encoding'] = 'aes128gcm';
    headers['content-type'] = 'application/octet-stream';
  }
  return { url: token.endpoint, method: 'POST', headers, body };
}
