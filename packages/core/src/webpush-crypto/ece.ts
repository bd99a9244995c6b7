import { concatBytes, utf8Encode } from '../encoding/bytes.js';
import { FosspushError, toFosspushError } from '../errors.js';
import { type WebPushCrypto, webCryptoWebPush } from './primitives.js';

/**
 * RFC 8188 "aes128gcm" content coding: a header (salt, record size, key id) and records, each
 * AES-128-GCM sealed with a key and nonce derived by HKDF from the input keying material (IKM).
 */

export const SALT_BYTES = 16;
/** salt (16) || rs (uint32) || idlen (uint8), then the key id. */
const HEADER_FIXED_BYTES = SALT_BYTES + 4 + 1;
const TAG_BYTES = 16;
/** A record holds at least its padding delimiter and the GCM tag. */
const RECORD_OVERHEAD_BYTES = 1 + TAG_BYTES;
/** RFC 8188 section 2.1: "rs" below 18 leaves no room for content and is invalid. */
const MIN_RECORD_SIZE = RECORD_OVERHEAD_BYTES + 1;
const MAX_RECORD_SIZE = 0xffff_ffff;
const MAX_KEY_ID_BYTES = 255;
const MIN_IKM_BYTES = 16;
/** RFC 8188 section 2: the delimiter ending the data of every record but the last, and of the last. */
const DELIMITER = { record: 1, last: 2 } as const;

const CEK_INFO = utf8Encode('Content-Encoding: aes128gcm\0');
const NONCE_INFO = utf8Encode('Content-Encoding: nonce\0');
const NONCE_BYTES = 12;

/** The record size RFC 8291 senders write, and `encryptWebPush`'s default. */
export const DEFAULT_RECORD_SIZE = 4096;

interface ContentHeader {
  salt: Uint8Array;
  recordSize: number;
  keyId: Uint8Array;
  /** Header bytes, key id included: the records start here. */
  length: number;
}

export interface ContentKeys {
  /** The CEK, as the backend's key handle. */
  key: unknown;
  nonce: Uint8Array;
}

/** The backend that supplies the primitives; options of every encrypt and decrypt function. */
export interface CryptoBackendOption {
  /**
   * The primitives (ECDH, HKDF, AES-GCM) to run on, e.g. `nodeWebPushCrypto` from
   * `@fosspush/webpush`, which is faster on Node. @default webCryptoWebPush
   */
  crypto?: WebPushCrypto;
}

export interface ContentEncryptOptions extends CryptoBackendOption {
  /** 16 random bytes, fresh for every message encrypted with the same key. */
  salt: Uint8Array;
  /** Bytes per record, tag included: 18 to 2^32 - 1. */
  recordSize: number;
  /** Up to 255 bytes that tell the receiver which key to use. @default empty */
  keyId?: Uint8Array;
  /**
   * Pads the content with zero bytes up to this many bytes (delimiters and tags not counted), so
   * that messages of different lengths produce bodies of one length. @default no padding
   */
  padTo?: number;
}

/** Finds the IKM for the key id in a body's header. */
export type ContentKeyLookup = (keyId: Uint8Array) => Promise<Uint8Array>;

function decryptFailed(why: string, cause?: unknown): FosspushError {
  return new FosspushError('DECRYPT_FAILED', `cannot decrypt the aes128gcm body: ${why}`, { cause });
}

function invalidOption(why: string, field: string): FosspushError {
  return new FosspushError('INVALID_REQUEST', why, { details: { field } });
}

export function checkSalt(salt: unknown): Uint8Array {
  if (!(salt instanceof Uint8Array) || salt.length !== SALT_BYTES) throw invalidOption(`salt must be ${SALT_BYTES} bytes`, 'salt');
  return salt;
}

export function checkRecordSize(recordSize: unknown): number {
  if (typeof recordSize !== 'number' || !Number.isInteger(recordSize) || recordSize < MIN_RECORD_SIZE || recordSize > MAX_RECORD_SIZE) {
    throw invalidOption(`recordSize must be an integer from ${MIN_RECORD_SIZE} to ${MAX_RECORD_SIZE}`, 'recordSize');
  }
  return recordSize;
}

/** Zero bytes to add so the content is `padTo` bytes long. */
export function paddingFor(contentLength: number, padTo: unknown): number {
  if (padTo === undefined) return 0;
  if (typeof padTo !== 'number' || !Number.isSafeInteger(padTo) || padTo < 0) {
    throw invalidOption('padTo must be a non-negative integer', 'padTo');
  }
  return Math.max(0, padTo - contentLength);
}

/** Content bytes (data and padding) one record of `recordSize` holds. */
export function recordCapacity(recordSize: number): number {
  return recordSize - RECORD_OVERHEAD_BYTES;
}

function checkIkm(ikm: unknown): Uint8Array {
  if (!(ikm instanceof Uint8Array) || ikm.length < MIN_IKM_BYTES) {
    throw new FosspushError('INVALID_KEY', `the content-encryption key (IKM) must be at least ${MIN_IKM_BYTES} bytes`);
  }
  return ikm;
}

function readHeader(body: Uint8Array): ContentHeader {
  if (!(body instanceof Uint8Array)) throw decryptFailed('the body must be a Uint8Array');
  if (body.length < HEADER_FIXED_BYTES) throw decryptFailed(`${body.length} bytes is shorter than the header`);
  const recordSize = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(SALT_BYTES);
  if (recordSize < MIN_RECORD_SIZE) throw decryptFailed(`record size ${recordSize} is below ${MIN_RECORD_SIZE}`);
  const length = HEADER_FIXED_BYTES + (body[HEADER_FIXED_BYTES - 1] as number);
  if (body.length < length) throw decryptFailed('the key id runs past the end of the body');
  return { salt: body.subarray(0, SALT_BYTES), recordSize, keyId: body.subarray(HEADER_FIXED_BYTES, length), length };
}

export function writeHeader(salt: Uint8Array, recordSize: number, keyId: Uint8Array): Uint8Array {
  const header = new Uint8Array(HEADER_FIXED_BYTES + keyId.length);
  header.set(salt);
  new DataView(header.buffer).setUint32(SALT_BYTES, recordSize);
  header[HEADER_FIXED_BYTES - 1] = keyId.length;
  header.set(keyId, HEADER_FIXED_BYTES);
  return header;
}

/** The backend an options object names, or the WebCrypto one. */
export function cryptoBackend(options: CryptoBackendOption | undefined): WebPushCrypto {
  return options?.crypto ?? webCryptoWebPush;
}

/** RFC 8188 section 2.2: CEK and NONCE from HKDF(salt, IKM). */
export async function deriveContentKeys(crypto: WebPushCrypto, ikm: Uint8Array, salt: Uint8Array): Promise<ContentKeys> {
  const prk = await crypto.hkdfExtract(salt, ikm);
  const [key, nonce] = await Promise.all([crypto.deriveAesKey(prk, CEK_INFO), crypto.hkdfExpand(prk, NONCE_INFO, NONCE_BYTES)]);
  return { key, nonce };
}

/**
 * RFC 8188 section 2.3: NONCE XOR SEQ, SEQ the record's 96-bit big-endian index. A body never
 * has 2^32 records (each is at least 18 bytes), so only the low 32 bits can change.
 */
function recordNonce(nonce: Uint8Array, sequence: number): Uint8Array {
  if (sequence === 0) return nonce;
  const iv = new Uint8Array(nonce);
  const view = new DataView(iv.buffer);
  view.setUint32(8, view.getUint32(8) ^ sequence);
  return iv;
}

interface RecordPlan {
  start: number;
  end: number;
  padding: number;
  last: boolean;
}

/**
 * Splits `length` content bytes plus `padding` zero bytes into records of `capacity` bytes each
 * (every record but the last must be full). Padding goes into the first records, each keeping
 * room for one byte of data, as http_ece does: the RFC 8188 section 3.2 example comes out so.
 */
function planRecords(length: number, capacity: number, padding: number): RecordPlan[] {
  const plans: RecordPlan[] = [];
  let start = 0;
  let paddingLeft = padding;
  for (;;) {
    const dataLeft = length - start;
    const recordPadding = Math.min(paddingLeft, dataLeft > 0 ? Math.max(capacity - 1, 1) : capacity);
    const end = start + Math.min(dataLeft, capacity - recordPadding);
    paddingLeft -= recordPadding;
    const last = end === length && paddingLeft === 0;
    plans.push({ start, end, padding: recordPadding, last });
    if (last) return plans;
    start = end;
  }
}

/**
 * Seals content into records (no header): data || delimiter || zero padding, each. Returns the
 * records apart, so that the caller copies them once, behind the header.
 */
export async function sealRecords(crypto: WebPushCrypto, keys: ContentKeys, content: Uint8Array, recordSize: number, padding: number): Promise<Uint8Array[]> {
  const records = planRecords(content.length, recordCapacity(recordSize), padding).map(async (plan, sequence) => {
    const plain = new Uint8Array(plan.end - plan.start + 1 + plan.padding);
    plain.set(content.subarray(plan.start, plan.end));
    plain[plan.end - plan.start] = plan.last ? DELIMITER.last : DELIMITER.record;
    return crypto.aesGcmEncrypt(keys.key, recordNonce(keys.nonce, sequence), plain);
  });
  return Promise.all(records);
}

/**
 * Splits a body into header and records, rejecting layouts no sender could produce before any
 * key is derived.
 */
export function readBody(body: Uint8Array): { header: ContentHeader; records: Uint8Array } {
  const header = readHeader(body);
  const records = body.subarray(header.length);
  if (records.length === 0) throw decryptFailed('the body has no records');
  const finalLength = records.length % header.recordSize || header.recordSize;
  if (finalLength < RECORD_OVERHEAD_BYTES) throw decryptFailed(`the final record is ${finalLength} bytes, shorter than ${RECORD_OVERHEAD_BYTES}`);
  return { header, records };
}

/** Strips the padding of one record, checking its delimiter against the record's place. */
function unpad(plain: Uint8Array, final: boolean, sequence: number): Uint8Array {
  let delimiterAt = plain.length - 1;
  while (delimiterAt >= 0 && plain[delimiterAt] === 0) delimiterAt--;
  const delimiter = plain[delimiterAt];
  if (delimiter === undefined) throw decryptFailed(`record ${sequence} has no padding delimiter`);
  if (delimiter === DELIMITER.last && !final) throw decryptFailed(`record ${sequence} is marked last but more data follows`);
  if (delimiter === DELIMITER.record && final) throw decryptFailed('the body is truncated: its final record is not marked last');
  if (delimiter !== DELIMITER.last && delimiter !== DELIMITER.record) throw decryptFailed(`record ${sequence} has padding that is not zeros`);
  return plain.subarray(0, delimiterAt);
}

/**
 * Opens the records `readBody` split off and returns the content. Records are opened one after
 * the other so that a forged body fails on its first record, whatever its length.
 */
export async function openRecords(crypto: WebPushCrypto, keys: ContentKeys, records: Uint8Array, recordSize: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let start = 0, sequence = 0; start < records.length; start += recordSize, sequence++) {
    const end = Math.min(start + recordSize, records.length);
    let plain: Uint8Array;
    try {
      plain = await crypto.aesGcmDecrypt(keys.key, recordNonce(keys.nonce, sequence), records.subarray(start, end));
    } catch (cause) {
      throw decryptFailed(`record ${sequence} does not authenticate (wrong key, or altered data)`, cause);
    }
    parts.push(unpad(plain, end === records.length, sequence));
  }
  return concatBytes(...parts);
}

/**
 * Encrypts `plaintext` with the RFC 8188 aes128gcm content coding: header and records, split at
 * `recordSize`. The key is the input keying material (at least 16 bytes), shared with the receiver
 * out of band; the salt must be fresh for every message.
 *
 * @example
 * const body = await encryptContent(utf8Encode('I am the walrus'), ikm, {
 *   salt: crypto.getRandomValues(new Uint8Array(16)),
 *   recordSize: 4096,
 *   keyId: utf8Encode('a1'),
 * });
 */
export async function encryptContent(plaintext: Uint8Array, key: Uint8Array, options: ContentEncryptOptions): Promise<Uint8Array> {
  if (!(plaintext instanceof Uint8Array)) throw new FosspushError('INVALID_MESSAGE', 'the plaintext must be a Uint8Array');
  const ikm = checkIkm(key);
  const salt = checkSalt(options.salt);
  const recordSize = checkRecordSize(options.recordSize);
  const keyId = options.keyId ?? new Uint8Array(0);
  if (!(keyId instanceof Uint8Array) || keyId.length > MAX_KEY_ID_BYTES) {
    throw invalidOption(`keyId must be at most ${MAX_KEY_ID_BYTES} bytes`, 'keyId');
  }
  const padding = paddingFor(plaintext.length, options.padTo);
  const crypto = cryptoBackend(options);
  const keys = await deriveContentKeys(crypto, ikm, salt);
  return concatBytes(writeHeader(salt, recordSize, keyId), ...(await sealRecords(crypto, keys, plaintext, recordSize, padding)));
}

/**
 * Decrypts an RFC 8188 aes128gcm body, however many records it has. `key` is the IKM, or a
 * function that finds it from the key id in the header (its failures that are not
 * FosspushErrors become DECRYPT_FAILED).
 *
 * Throws DECRYPT_FAILED for a truncated header, a record size below 18, a record that does not
 * authenticate, a missing or misplaced delimiter, padding that is not zeros, and anything after
 * the last record; INVALID_KEY for an IKM shorter than 16 bytes.
 *
 * @example
 * const plaintext = await decryptContent(body, async (keyId) => keysById.get(utf8Decode(keyId)));
 */
export async function decryptContent(body: Uint8Array, key: Uint8Array | ContentKeyLookup, options: CryptoBackendOption = {}): Promise<Uint8Array> {
  const { header, records } = readBody(body);
  let ikm: Uint8Array;
  try {
    ikm = typeof key === 'function' ? await key(header.keyId.slice()) : key;
  } catch (cause) {
    throw toFosspushError(cause, 'DECRYPT_FAILED');
  }
  const crypto = cryptoBackend(options);
  const keys = await deriveContentKeys(crypto, checkIkm(ikm), header.salt);
  return openRecords(crypto, keys, records, header.recordSize);
}
