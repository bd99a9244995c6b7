import { CompactSign, compactVerify, decodeJwt, decodeProtectedHeader, errors as joseErrors } from 'jose';
import { toBase64Url } from '../encoding/base64url.js';
import { equalBytes, utf8Encode } from '../encoding/bytes.js';
import { FosspushError } from '../errors.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import { BoundedMap } from './bounded-map.js';
import { decodeKeyBytes, decodePublicKey, generateEncodedKeyPair, importWebCryptoPrivateKey, importWebCryptoPublicKey, P256_PRIVATE_KEY_BYTES } from './keys.js';
import type { CryptoKey } from './webcrypto-types.js';

/**
 * RFC 8292 VAPID: an application server proves to a push service who it is with a short-lived
 * ES256 JWT for the push service's origin, sent with its public key as
 * `Authorization: vapid t=<jwt>, k=<key>`.
 */

/** A VAPID key pair, base64url: the 65-byte uncompressed public point and the 32-byte private d. */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface VapidSignerOptions {
  keys: VapidKeys;
  /** A `mailto:` or `https:` URL where the push service can reach the sender's operator. */
  subject: string;
  /** Lifetime of each JWT, at most 24 hours (RFC 8292 section 2). @default 43200 (12 hours) */
  expirySeconds?: number;
  /** A cached JWT is replaced once it has less than this left to live. @default 3600 */
  renewBeforeSeconds?: number;
  /** The clock that dates the tokens. */
  runtime?: Partial<Runtime>;
}

export interface VapidSigner {
  /** The `Authorization` header value for a push endpoint (or its origin): `vapid t=<jwt>, k=<publicKey>`. */
  authorization(endpointOrAudience: string): Promise<string>;
  /** JWTs signed so far: one per audience and token lifetime, however many messages. */
  readonly signatureCount: number;
}

export interface VapidVerifyOptions {
  /** The push resource's URL or origin; the token's `aud` must be this origin. */
  audience: string;
  /** The key the subscription was restricted to (`applicationServerKey`), base64url. */
  expectedPublicKey?: string;
  /** The clock that judges expiry. */
  runtime?: Partial<Runtime>;
  /** Tokens expiring further ahead are refused. @default 86400 (24 hours, RFC 8292 section 2) */
  maxExpirySeconds?: number;
}

export interface VerifiedVapid {
  /** The sender's public key (k), base64url. */
  publicKey: string;
  /** The token's `sub` claim, when it has one. */
  subject?: string;
  /** When the token expires, in milliseconds since the epoch. */
  expiresAt: number;
}

export const VAPID_DEFAULTS = {
  expirySeconds: 43_200,
  renewBeforeSeconds: 3_600,
  maxExpirySeconds: 86_400,
} as const satisfies Required<Pick<VapidSignerOptions, 'expirySeconds' | 'renewBeforeSeconds'>> &
  Required<Pick<VapidVerifyOptions, 'maxExpirySeconds'>>;

/** Longer than any real header (a JWT of three short claims and a key), short enough to refuse junk before parsing. */
const MAX_AUTHORIZATION_LENGTH = 4096;
const MAX_CACHED_AUDIENCES = 1024;
/** The header RFC 8292 section 2.4 shows, byte for byte (jose keeps the member order). */
const JWT_HEADER = { typ: 'JWT', alg: 'ES256' };
const MAX_CACHED_VERIFIED_TOKENS = 4096;

function invalidOption(why: string, field: string): FosspushError {
  return new FosspushError('INVALID_REQUEST', why, { details: { field } });
}

/** The origin a VAPID token is for (RFC 8292 section 2: the `aud` claim). */
function originOf(url: string, field: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new FosspushError('INVALID_REQUEST', `${field} is not a URL`, { cause, details: { field } });
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw invalidOption(`${field} must be an https: or http: URL`, field);
  return parsed.origin;
}

function checkSubject(subject: unknown): string {
  let protocol: string | undefined;
  try {
    protocol = typeof subject === 'string' ? new URL(subject).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'mailto:' && protocol !== 'https:') throw invalidOption('the VAPID subject must be a mailto: or https: URL', 'subject');
  return subject as string;
}

function checkSeconds(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalidOption(`${field} must be an integer from ${min} to ${max}`, field);
  return value;
}

/**
 * Makes a VAPID key pair (ECDSA P-256). Give the public key to clients as the push
 * subscription's `applicationServerKey`; keep the private key on the server.
 *
 * @example
 * const vapidKeys = await generateVapidKeys();
 * // store vapidKeys.privateKey as a secret; publish vapidKeys.publicKey
 */
export async function generateVapidKeys(): Promise<VapidKeys> {
  return generateEncodedKeyPair('ECDSA');
}

/**
 * Signs VAPID headers, caching one JWT per audience (the push service's origin) and signing a
 * new one only when the cached one has less than `renewBeforeSeconds` left. Concurrent calls
 * for one audience share one signature. Throws INVALID_KEY for unusable keys and
 * INVALID_REQUEST for a bad subject, lifetime or endpoint.
 *
 * @example
 * const signer = createVapidSigner({ keys: vapidKeys, subject: 'mailto:ops@example.org' });
 * const headers = { Authorization: await signer.authorization(subscription.endpoint) };
 */
export function createVapidSigner(options: VapidSignerOptions): VapidSigner {
  const expirySeconds = checkSeconds(options.expirySeconds ?? VAPID_DEFAULTS.expirySeconds, 'expirySeconds', 1, VAPID_DEFAULTS.maxExpirySeconds);
  const renewBeforeSeconds = checkSeconds(options.renewBeforeSeconds ?? VAPID_DEFAULTS.renewBeforeSeconds, 'renewBeforeSeconds', 0, expirySeconds - 1);
  const subject = checkSubject(options.subject);
  const publicKey = decodePublicKey(options.keys?.publicKey, 'the VAPID public key');
  const privateKey = decodeKeyBytes(options.keys?.privateKey, 'the VAPID private key', P256_PRIVATE_KEY_BYTES);
  const encodedPublicKey = toBase64Url(publicKey);
  const { clock } = resolveRuntime(options.runtime);
  const headers = new BoundedMap<string, { header: Promise<string>; renewAtMs: number }>(MAX_CACHED_AUDIENCES);
  let signingKey: Promise<CryptoKey> | undefined;
  let signatureCount = 0;

  async function sign(audience: string, expiresAtSeconds: number): Promise<string> {
    signingKey ??= importWebCryptoPrivateKey(publicKey, privateKey, 'ECDSA', 'the VAPID keys');
    const claims = utf8Encode(JSON.stringify({ aud: audience, exp: expiresAtSeconds, sub: subject }));
    const jwt = await new CompactSign(claims).setProtectedHeader(JWT_HEADER).sign(await signingKey);
    signatureCount++;
    return `vapid t=${jwt}, k=${encodedPublicKey}`;
  }

  return {
    get signatureCount() {
      return signatureCount;
    },
    async authorization(endpointOrAudience) {
      const audience = originOf(endpointOrAudience, 'endpoint');
      const nowMs = clock.now();
      const cached = headers.get(audience);
      if (cached && nowMs < cached.renewAtMs) return cached.header;
      const expiresAtSeconds = Math.floor(nowMs / 1000) + expirySeconds;
      const entry = { header: sign(audience, expiresAtSeconds), renewAtMs: (expiresAtSeconds - renewBeforeSeconds) * 1000 };
      headers.set(audience, entry);
      entry.header.catch(() => {
        if (headers.get(audience) === entry) headers.delete(audience);
      });
      return entry.header;
    },
  };
}

const unauthenticated = (why: string) => new FosspushError('UNAUTHENTICATED', `no usable VAPID credentials: ${why}`);
const denied = (why: string) => new FosspushError('PERMISSION_DENIED', `VAPID credentials refused: ${why}`);

/** RFC 8292 section 3: `vapid t=<jwt>, k=<key>`, auth-params in any order, unknown ones ignored. */
function parseAuthorization(header: string | undefined): { token: string; key: string } {
  if (typeof header !== 'string' || header.trim() === '') throw unauthenticated('no Authorization header');
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw unauthenticated(`the Authorization header is longer than ${MAX_AUTHORIZATION_LENGTH} characters`);
  const [, scheme = '', rest = ''] = /^\s*(\S+)\s*(.*)$/s.exec(header) ?? [];
  if (scheme.toLowerCase() !== 'vapid') throw unauthenticated('the Authorization scheme is not vapid');
  const params = new Map<string, string>();
  for (const part of rest.split(',')) {
    const equals = part.indexOf('=');
    if (equals <= 0) throw unauthenticated('the vapid parameters are not name=value pairs');
    const name = part.slice(0, equals).trim().toLowerCase();
    const value = part.slice(equals + 1).trim();
    if (params.has(name)) throw unauthenticated('a vapid parameter appears twice');
    params.set(name, value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value);
  }
  const token = params.get('t');
  const key = params.get('k');
  if (!token || !key) throw unauthenticated('the vapid credentials need both t= and k=');
  return { token, key };
}

/** Whether `aud` names exactly the origin `audience` (a bare trailing slash allowed). */
function isAudience(aud: string, audience: string): boolean {
  try {
    const url = new URL(aud);
    return url.origin === audience && url.pathname === '/' && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

/**
 * Tokens whose signature has verified, by `k` and `t`: a sender reuses one token for hours, so
 * the push service checks each signature once. Claims (audience, expiry) are checked every time.
 */
const verifiedTokens = new BoundedMap<string, true>(MAX_CACHED_VERIFIED_TOKENS);

/** The header's `alg` and the claims, read before the signature is checked (which needs `k`). */
function readJwt(token: string): { alg: unknown; claims: Record<string, unknown> } {
  try {
    return { alg: decodeProtectedHeader(token).alg, claims: decodeJwt(token) };
  } catch (cause) {
    throw new FosspushError('UNAUTHENTICATED', `the VAPID token is not a JWT: ${(cause as Error).message}`, { cause });
  }
}

/** Compact JWS verification (RFC 7515) by jose, ES256 only; a signature that does not decode is no usable token. */
async function signatureVerifies(token: string, key: string, publicKey: Uint8Array): Promise<boolean> {
  const cacheKey = `${key} ${token}`;
  if (verifiedTokens.has(cacheKey)) return true;
  const cryptoKey = await importWebCryptoPublicKey(publicKey, 'ECDSA', 'the vapid k= key', 'UNAUTHENTICATED');
  try {
    await compactVerify(token, cryptoKey, { algorithms: ['ES256'] });
  } catch (cause) {
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) return false;
    throw new FosspushError('UNAUTHENTICATED', `the VAPID token is not a JWT: ${(cause as Error).message}`, { cause });
  }
  verifiedTokens.set(cacheKey, true);
  return true;
}

/**
 * Checks the `Authorization` header of a push request (RFC 8292). Throws UNAUTHENTICATED
 * (answer 401) when there is no usable token: no header, another scheme, a JWT or `k` that does
 * not parse, an algorithm other than ES256. Throws PERMISSION_DENIED (answer 403) for a token
 * that is there but wrong: bad signature, `aud` not this origin, expired, expiring more than
 * `maxExpirySeconds` ahead, or `k` not `expectedPublicKey`. The older `WebPush <jwt>` scheme
 * with a separate `Crypto-Key` header is not accepted.
 *
 * @example
 * const vapid = await verifyVapid(request.headers.authorization, {
 *   audience: 'https://push.example.net',
 *   expectedPublicKey: subscription.applicationServerKey,
 * });
 * console.log(`push from ${vapid.subject ?? vapid.publicKey}`);
 */
export async function verifyVapid(authorizationHeader: string | undefined, options: VapidVerifyOptions): Promise<VerifiedVapid> {
  const audience = originOf(options.audience, 'audience');
  const expectedKey = options.expectedPublicKey === undefined ? undefined : decodePublicKey(options.expectedPublicKey, 'expectedPublicKey');
  const maxExpirySeconds = options.maxExpirySeconds ?? VAPID_DEFAULTS.maxExpirySeconds;
  const { clock } = resolveRuntime(options.runtime);

  const { token, key } = parseAuthorization(authorizationHeader);
  const publicKey = decodePublicKey(key, 'the vapid k= key', 'UNAUTHENTICATED');
  const { alg, claims } = readJwt(token);
  if (alg !== 'ES256') throw unauthenticated('the token is not signed with ES256');
  const { aud, exp, sub } = claims;
  if (typeof aud !== 'string' || typeof exp !== 'number' || !Number.isFinite(exp) || (sub !== undefined && typeof sub !== 'string')) {
    throw unauthenticated('the token needs a string aud and a numeric exp claim');
  }

  if (expectedKey && !equalBytes(publicKey, expectedKey)) throw denied('k= is not the key this subscription is restricted to');
  if (!(await signatureVerifies(token, key, publicKey))) throw denied('the token signature does not verify with k=');
  if (!isAudience(aud, audience)) throw denied(`the token is for another audience, not ${audience}`);
  const nowSeconds = clock.now() / 1000;
  if (exp <= nowSeconds) throw denied('the token has expired');
  if (exp > nowSeconds + maxExpirySeconds) throw denied(`the token expires more than ${maxExpirySeconds} seconds ahead`);
  return { publicKey: toBase64Url(publicKey), subject: sub, expiresAt: exp * 1000 };
}
