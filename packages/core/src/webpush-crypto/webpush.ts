import { toBase64Url } from '../encoding/base64url.js';
import { concatBytes, utf8Encode } from '../encoding/bytes.js';
import { FosspushError, type FosspushErrorCode } from '../errors.js';
import { PUSH_LIMITS } from '../message.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import { BoundedMap } from './bounded-map.js';
import {
  type CryptoBackendOption,
  checkRecordSize,
  checkSalt,
  cryptoBackend,
  DEFAULT_RECORD_SIZE,
  deriveContentKeys,
  openRecords,
  paddingFor,
  readBody,
  recordCapacity,
  SALT_BYTES,
  sealRecords,
  writeHeader,
} from './ece.js';
import {
  checkPublicPoint,
  decodeKeyBytes,
  decodePublicKey,
  generateEncodedKeyPair,
  P256_PRIVATE_KEY_BYTES,
  P256_PUBLIC_KEY_BYTES,
} from './keys.js';
import type { WebPushCrypto } from './primitives.js';

/**
 * RFC 8291 Message Encryption for Web Push: the RFC 8188 aes128gcm coding with an IKM agreed by
 * ECDH between a one-time sender key and the subscription's key, bound to its auth secret.
 */

const AUTH_SECRET_BYTES = 16;
/**
 * RFC 8291 section 4: the aes128gcm header of a Web Push body, 86 bytes: salt (16), record size
 * (4), key id length (1) and the sender's 65-byte P-256 public key as key id.
 */
export const WEB_PUSH_HEADER_BYTES = SALT_BYTES + 4 + 1 + P256_PUBLIC_KEY_BYTES;
/**
 * RFC 8291 section 4: the most plaintext one push message (at most 4096 bytes) carries, after
 * the 86-byte header, the padding delimiter and the 16-byte tag: 3993 bytes.
 */
export const MAX_WEB_PUSH_PLAINTEXT_BYTES = recordCapacity(PUSH_LIMITS.maxPayloadBytes - WEB_PUSH_HEADER_BYTES);

const KEY_INFO_PREFIX = utf8Encode('WebPush: info\0');
/** Imported keys kept per backend, for senders (subscriptions) and user agents (key pairs) each. */
const MAX_CACHED_KEYS = 1024;

/** A subscription's keys as the user agent holds them. All base64url. */
export interface SubscriptionKeys {
  /** The 65-byte uncompressed P-256 public point, shared with senders. */
  p256dh: string;
  /** The 16-byte auth secret, shared with senders. */
  auth: string;
  /** The 32-byte private scalar d: never leaves the device. */
  privateKey: string;
}

export interface EncryptOptions extends CryptoBackendOption {
  /** Record size written in the header; the message must fit in one record. @default 4096 */
  recordSize?: number;
  /**
   * Pads the plaintext with zero bytes up to this many bytes, so that messages of different
   * lengths produce bodies of one length. @default no padding
   */
  padTo?: number;
  /** 16 bytes. Only for reproducing test vectors: a salt must never be reused. @default 16 random bytes */
  salt?: Uint8Array;
  /** Raw sender key pair. Only for reproducing test vectors. @default a fresh key pair per message */
  senderKeys?: { publicKey: Uint8Array; privateKey: Uint8Array };
  /** The random source for the salt. */
  runtime?: Partial<Runtime>;
}

/** A public point and its imported key: a subscription's, or a user agent's key pair. */
interface ImportedKey {
  point: Uint8Array;
  key: Promise<unknown>;
}

/**
 * Recipient keys a sender has imported, by backend and p256dh: it pushes to the same
 * subscriptions again and again.
 */
const recipientsByBackend = new WeakMap<WebPushCrypto, BoundedMap<string, ImportedKey>>();
/**
 * Key pairs a user agent has imported, by backend and key pair: every message to a subscription
 * is decrypted with the same one, and importing it costs a scalar multiplication (the public
 * key is checked against the private one) or, on WebCrypto, a queued job.
 */
const userAgentKeysByBackend = new WeakMap<WebPushCrypto, BoundedMap<string, ImportedKey>>();

/** The backend's memo entry for `id`, made by `make` when missing; a failed import is forgotten, so it is tried again. */
function importedOnce(caches: WeakMap<WebPushCrypto, BoundedMap<string, ImportedKey>>, crypto: WebPushCrypto, id: string, make: () => ImportedKey): ImportedKey {
  let cache = caches.get(crypto);
  if (!cache) {
    cache = new BoundedMap<string, ImportedKey>(MAX_CACHED_KEYS);
    caches.set(crypto, cache);
  }
  const cached = cache.get(id);
  if (cached) return cached;
  const entry = make();
  const memo = cache;
  entry.key.catch(() => {
    if (memo.get(id) === entry) memo.delete(id);
  });
  cache.set(id, entry);
  return entry;
}

/** Runs a backend call, turning its failure into a FosspushError that says what was wrong. */
async function backendCall<T>(work: () => Promise<T>, code: FosspushErrorCode, message: string): Promise<T> {
  try {
    return await work();
  } catch (cause) {
    throw new FosspushError(code, message, { cause });
  }
}

/** Imports a 65-byte public point; a point that is not on the curve fails with `code`. */
function importBackendPublicKey(crypto: WebPushCrypto, point: Uint8Array, what: string, code: FosspushErrorCode): Promise<unknown> {
  return backendCall(() => crypto.importPublicKey(point), code, `${what} is not a point on P-256`);
}

function importBackendPrivateKey(crypto: WebPushCrypto, publicKey: Uint8Array, privateKey: Uint8Array, what: string): Promise<unknown> {
  return backendCall(() => crypto.importPrivateKey(publicKey, privateKey), 'INVALID_KEY', `${what} is not a valid P-256 key pair`);
}

function recipientFor(crypto: WebPushCrypto, p256dh: string): ImportedKey {
  return importedOnce(recipientsByBackend, crypto, p256dh, () => {
    const point = decodePublicKey(p256dh, 'the subscription p256dh key');
    return { point, key: importBackendPublicKey(crypto, point, 'the subscription p256dh key', 'INVALID_KEY') };
  });
}

function userAgentKeyFor(crypto: WebPushCrypto, keys: SubscriptionKeys): ImportedKey {
  return importedOnce(userAgentKeysByBackend, crypto, `${keys.p256dh}.${keys.privateKey}`, () => {
    const point = decodePublicKey(keys.p256dh, 'p256dh');
    const privateKey = decodeKeyBytes(keys.privateKey, 'privateKey', P256_PRIVATE_KEY_BYTES);
    return { point, key: importBackendPrivateKey(crypto, point, privateKey, 'the subscription keys') };
  });
}

async function senderKeyPair(crypto: WebPushCrypto, fixed: EncryptOptions['senderKeys']): Promise<{ publicKey: Uint8Array; privateKey: unknown }> {
  if (fixed === undefined) return crypto.generateKeyPair();
  const publicKey = checkPublicPoint(fixed.publicKey, 'senderKeys.publicKey');
  if (!(fixed.privateKey instanceof Uint8Array) || fixed.privateKey.length !== P256_PRIVATE_KEY_BYTES) {
    throw new FosspushError('INVALID_KEY', `senderKeys.privateKey must be ${P256_PRIVATE_KEY_BYTES} bytes`);
  }
  return { publicKey, privateKey: await importBackendPrivateKey(crypto, publicKey, fixed.privateKey, 'senderKeys') };
}

/**
 * RFC 8291 section 3.3: IKM = HKDF(auth_secret, ecdh_secret, "WebPush: info" || 0x00 || ua_public || as_public, 32),
 * ecdh_secret agreed between `privateKey` and `peerKey`.
 */
async function webPushIkm(
  crypto: WebPushCrypto,
  privateKey: unknown,
  peerKey: unknown,
  authSecret: Uint8Array,
  userAgentPublic: Uint8Array,
  senderPublic: Uint8Array,
): Promise<Uint8Array> {
  const secret = await crypto.ecdh(privateKey, peerKey);
  return crypto.hkdfExpand(await crypto.hkdfExtract(authSecret, secret), concatBytes(KEY_INFO_PREFIX, userAgentPublic, senderPublic), 32);
}

/**
 * Makes the keys for a new push subscription: an ECDH P-256 key pair and a 16-byte auth secret.
 * The device keeps all three; senders get `p256dh` and `auth` (in the token).
 *
 * @example
 * const keys = await generateSubscriptionKeys();
 * const token = encodeToken({ channel: 'webpush', endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: {} });
 */
export async function generateSubscriptionKeys(runtime?: Partial<Runtime>): Promise<SubscriptionKeys> {
  const { random } = resolveRuntime(runtime);
  const pair = await generateEncodedKeyPair('ECDH');
  return { p256dh: pair.publicKey, auth: toBase64Url(random.bytes(AUTH_SECRET_BYTES)), privateKey: pair.privateKey };
}

/**
 * Encrypts a push message to a subscription (RFC 8291): the aes128gcm body, one record, with a
 * fresh salt and sender key every time. Throws INVALID_KEY for unusable `p256dh`/`auth`, and
 * PAYLOAD_TOO_LARGE when the (padded) plaintext does not fit one record of `recordSize` or
 * would make the body longer than 4096 bytes (3993 bytes of plaintext).
 *
 * @example
 * const body = await encryptWebPush(utf8Encode('{"title":"Hi"}'), { p256dh: token.p256dh, auth: token.auth });
 * await fetch(endpoint, { method: 'POST', body, headers: { 'Content-Encoding': 'aes128gcm', TTL: '60' } });
 */
export async function encryptWebPush(
  plaintext: Uint8Array,
  target: { p256dh: string; auth: string },
  options: EncryptOptions = {},
): Promise<Uint8Array> {
  if (!(plaintext instanceof Uint8Array)) throw new FosspushError('INVALID_MESSAGE', 'the plaintext must be a Uint8Array');
  const recordSize = checkRecordSize(options.recordSize ?? DEFAULT_RECORD_SIZE);
  const padding = paddingFor(plaintext.length, options.padTo);
  const limit = Math.min(recordCapacity(recordSize), MAX_WEB_PUSH_PLAINTEXT_BYTES);
  if (plaintext.length + padding > limit) {
    throw new FosspushError(
      'PAYLOAD_TOO_LARGE',
      `${plaintext.length + padding} bytes of (padded) plaintext do not fit one Web Push record: at most ${limit}`,
      { details: { field: 'payload', limit } },
    );
  }
  const salt = options.salt === undefined ? resolveRuntime(options.runtime).random.bytes(SALT_BYTES) : checkSalt(options.salt);
  const authSecret = decodeKeyBytes(target.auth, 'the subscription auth secret', AUTH_SECRET_BYTES);
  const crypto = cryptoBackend(options);
  const recipient = recipientFor(crypto, target.p256dh);
  const [sender, recipientKey] = await Promise.all([senderKeyPair(crypto, options.senderKeys), recipient.key]);
  const ikm = await backendCall(
    () => webPushIkm(crypto, sender.privateKey, recipientKey, authSecret, recipient.point, sender.publicKey),
    'INVALID_KEY',
    'cannot agree a key with the subscription',
  );
  const keys = await deriveContentKeys(crypto, ikm, salt);
  return concatBytes(writeHeader(salt, recordSize, sender.publicKey), ...(await sealRecords(crypto, keys, plaintext, recordSize, padding)));
}

/**
 * Decrypts a push message (RFC 8291) with the subscription's keys; bodies of several records
 * are accepted too. Throws INVALID_KEY for unusable `keys`, DECRYPT_FAILED for anything wrong
 * with the body: a malformed header, a key id that is not a P-256 point, a wrong key, an altered
 * record, bad padding, truncation or trailing data.
 *
 * @example
 * const plaintext = await decryptWebPush(message.payload, registration.keys);
 * const notification = JSON.parse(utf8Decode(plaintext));
 */
export async function decryptWebPush(body: Uint8Array, keys: SubscriptionKeys, options: CryptoBackendOption = {}): Promise<Uint8Array> {
  const crypto = cryptoBackend(options);
  const authSecret = decodeKeyBytes(keys.auth, 'auth', AUTH_SECRET_BYTES);
  const userAgent = userAgentKeyFor(crypto, keys);
  const userAgentPublic = userAgent.point;
  const privateKey = await userAgent.key;
  const { header, records } = readBody(body);
  const keyIdWhat = "the key id (the sender's public key)";
  const senderPublic = checkPublicPoint(header.keyId, keyIdWhat, 'DECRYPT_FAILED');
  const senderKey = await importBackendPublicKey(crypto, senderPublic, keyIdWhat, 'DECRYPT_FAILED');
  const ikm = await backendCall(
    () => webPushIkm(crypto, privateKey, senderKey, authSecret, userAgentPublic, senderPublic),
    'DECRYPT_FAILED',
    'cannot agree a key with the sender',
  );
  return openRecords(crypto, await deriveContentKeys(crypto, ikm, header.salt), records, header.recordSize);
}
