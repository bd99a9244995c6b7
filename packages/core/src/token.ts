import { FosspushError } from './errors.js';
import { fromBase64Url, toBase64Url } from './encoding/base64url.js';
import { utf8Decode, utf8Encode } from './encoding/bytes.js';

/**
 * The registration token an app hands to its app server. One opaque, versioned, URL-safe
 * string: `fp1.` followed by base64url JSON. Senders parse it with `decodeToken`; the version
 * prefix lets a future format live beside this one.
 */
export interface PushToken {
  /** Which wire reaches the device: `webpush` (RFC 8030 push resource), `email`, or `dht` (an OpenDHT key). */
  readonly channel: TokenChannel;
  /** `https:` (or loopback `http:`) push resource, `mailto:` address, or a dhtproxy key URL. */
  readonly endpoint: string;
  /** The registration's P-256 public key: base64url, 65-byte uncompressed point. */
  readonly p256dh: string;
  /** The registration's 16-byte auth secret, base64url. */
  readonly auth: string;
  /** Fields that one channel alone needs (the email channel's are in the Email-notify spec). */
  readonly extras: Readonly<Record<string, string>>;
}

export type TokenChannel = 'webpush' | 'email' | 'dht';
export const TOKEN_CHANNELS: readonly TokenChannel[] = ['webpush', 'email', 'dht'];

/** W3C Push API `PushSubscription.toJSON()` shape, accepted by every web-push library. */
export interface PushSubscriptionJSON {
  endpoint: string;
  expirationTime?: number | null;
  keys: { p256dh: string; auth: string };
}

export const TOKEN_VERSION = 1;
const TOKEN_PREFIX = `fp${TOKEN_VERSION}.`;
const VERSION_PATTERN = /^fp(\d+)\./;
/** Large enough for an email token carrying an Autocrypt key, small enough to refuse junk early. */
export const MAX_TOKEN_LENGTH = 8192;

interface TokenWire {
  c: string;
  e: string;
  k: string;
  a: string;
  x?: Record<string, string>;
}

function invalid(message: string, cause?: unknown): FosspushError {
  return new FosspushError('INVALID_TOKEN', message, { cause });
}

function checkKey(value: unknown, name: string, length: number, firstByte?: number): string {
  if (typeof value !== 'string') throw invalid(`token ${name} is missing`);
  const bytes = fromBase64Url(value, `token ${name}`, 'INVALID_TOKEN');
  if (bytes.length !== length || (firstByte !== undefined && bytes[0] !== firstByte)) {
    throw invalid(`token ${name} must be ${length} bytes${firstByte === undefined ? '' : ' (uncompressed P-256 point)'}`);
  }
  return value;
}

function checkEndpoint(channel: string, endpoint: unknown): string {
  if (typeof endpoint !== 'string') throw invalid('token endpoint is missing');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw invalid('token endpoint is not a URL', cause);
  }
  const allowed = channel === 'email' ? ['mailto:'] : ['https:', 'http:'];
  if (!allowed.includes(url.protocol)) {
    throw invalid(`a ${channel} token needs a ${allowed.join(' or ')} endpoint, got ${url.protocol}`);
  }
  return endpoint;
}

function checkExtras(extras: unknown): Record<string, string> {
  if (extras === undefined) return {};
  if (typeof extras !== 'object' || extras === null || Array.isArray(extras)) throw invalid('token extras must be an object');
  for (const value of Object.values(extras)) {
    if (typeof value !== 'string') throw invalid('token extras must map names to strings');
  }
  return { ...(extras as Record<string, string>) };
}

/** Validates a token's fields; `encodeToken` and `decodeToken` both go through here. */
export function validateToken(token: {
  channel: unknown;
  endpoint: unknown;
  p256dh: unknown;
  auth: unknown;
  extras?: unknown;
}): PushToken {
  if (!TOKEN_CHANNELS.includes(token.channel as TokenChannel)) {
    throw invalid(`unknown token channel ${JSON.stringify(token.channel)}`);
  }
  const channel = token.channel as TokenChannel;
  return {
    channel,
    endpoint: checkEndpoint(channel, token.endpoint),
    p256dh: checkKey(token.p256dh, 'p256dh', 65, 0x04),
    auth: checkKey(token.auth, 'auth', 16),
    extras: checkExtras(token.extras),
  };
}

/**
 * @example
 * const token = encodeToken({ channel: 'webpush', endpoint, p256dh, auth, extras: {} });
 */
export function encodeToken(token: PushToken): string {
  const valid = validateToken(token);
  const wire: TokenWire = { c: valid.channel, e: valid.endpoint, k: valid.p256dh, a: valid.auth };
  if (Object.keys(valid.extras).length > 0) wire.x = { ...valid.extras };
  const encoded = TOKEN_PREFIX + toBase64Url(utf8Encode(JSON.stringify(wire)));
  if (encoded.length > MAX_TOKEN_LENGTH) throw invalid(`token is longer than ${MAX_TOKEN_LENGTH} characters`);
  return encoded;
}

export function decodeToken(token: string): PushToken {
  if (typeof token !== 'string') throw invalid('token must be a string');
  if (token.length > MAX_TOKEN_LENGTH) throw invalid(`token is longer than ${MAX_TOKEN_LENGTH} characters`);
  const version = VERSION_PATTERN.exec(token);
  if (!version) throw invalid('token does not start with a fosspush version prefix (fp1.)');
  if (Number(version[1]) !== TOKEN_VERSION) {
    throw new FosspushError('UNSUPPORTED_TOKEN_VERSION', `token version ${version[1]} is not supported (this library reads ${TOKEN_VERSION})`);
  }
  let wire: unknown;
  try {
    wire = JSON.parse(utf8Decode(fromBase64Url(token.slice(TOKEN_PREFIX.length), 'token', 'INVALID_TOKEN')));
  } catch (cause) {
    throw invalid('token body is not base64url JSON', cause);
  }
  if (typeof wire !== 'object' || wire === null) throw invalid('token body is not an object');
  const { c, e, k, a, x } = wire as Partial<TokenWire>;
  return validateToken({ channel: c, endpoint: e, p256dh: k, auth: a, extras: x });
}

/** A Web Push token as the W3C PushSubscription JSON that web-push libraries accept. */
export function toPushSubscription(token: PushToken | string): PushSubscriptionJSON {
  const parsed = typeof token === 'string' ? decodeToken(token) : token;
  if (parsed.channel !== 'webpush') {
    throw invalid(`a ${parsed.channel} token has no PushSubscription form`);
  }
  return { endpoint: parsed.endpoint, expirationTime: null, keys: { p256dh: parsed.p256dh, auth: parsed.auth } };
}

export function fromPushSubscription(subscription: PushSubscriptionJSON): PushToken {
  if (typeof subscription !== 'object' || subscription === null || typeof subscription.keys !== 'object' || subscription.keys === null) {
    throw invalid('not a PushSubscription: expected { endpoint, keys: { p256dh, auth } }');
  }
  return validateToken({
    channel: 'webpush',
    endpoint: subscription.endpoint,
    p256dh: subscription.keys.p256dh,
    auth: subscription.keys.auth,
  });
}
