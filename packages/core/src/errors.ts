/**
 * The one error class of fosspush. Every failure a caller can act on carries a stable
 * SCREAMING_SNAKE `code`; messages are for people and may change, codes may not.
 */
export type FosspushErrorCode =
  // model and token
  | 'INVALID_MESSAGE'
  | 'INVALID_TOKEN'
  | 'UNSUPPORTED_TOKEN_VERSION'
  | 'PAYLOAD_TOO_LARGE'
  | 'INVALID_TTL'
  | 'INVALID_URGENCY'
  | 'INVALID_TOPIC'
  // crypto and authentication
  | 'INVALID_KEY'
  | 'DECRYPT_FAILED'
  | 'UNAUTHENTICATED'
  | 'BAD_SIGNATURE'
  | 'UNSIGNED'
  | 'UNKNOWN_SENDER'
  | 'EXPIRED'
  | 'REPLAYED'
  // email
  | 'INVALID_AUTOCRYPT_HEADER'
  | 'MALFORMED_EMAIL'
  | 'NOT_A_NOTIFICATION'
  // access and lookup
  | 'NOT_FOUND'
  /** It existed and was deliberately removed (an unsubscribed push resource): HTTP 410. */
  | 'GONE'
  | 'PERMISSION_DENIED'
  /** A folder or file that others could read or swap (a foreign socket folder, a loose data folder). */
  | 'INSECURE_PATH'
  /** The daemon accepts only registrations restricted to an app server's VAPID key (RFC 8292). */
  | 'VAPID_REQUIRED'
  | 'RATE_LIMITED'
  // wire and runtime
  | 'INVALID_REQUEST'
  | 'FRAME_TOO_LARGE'
  | 'METHOD_NOT_FOUND'
  | 'PROTOCOL_ERROR'
  | 'UNAVAILABLE'
  /** The service's storage is full (a disk, Redis maxmemory): HTTP 507, retry later. */
  | 'STORAGE_FULL'
  | 'TIMEOUT'
  | 'CLOSED'
  /** An optional peer dependency (openpgp for the email paths) is not installed. */
  | 'MISSING_DEPENDENCY'
  /** A database written by a newer version of fosspush: opening it could corrupt it. */
  | 'UNSUPPORTED_STORE_VERSION'
  | 'INTERNAL';

export interface FosspushErrorOptions {
  cause?: unknown;
  /** Machine-readable details, e.g. the offending field. Never holds secrets or payloads. */
  details?: Readonly<Record<string, unknown>>;
}

export class FosspushError extends Error {
  override readonly name = 'FosspushError';
  readonly code: FosspushErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: FosspushErrorCode, message: string, options: FosspushErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  toJSON() {
    return { name: this.name, code: this.code, message: this.message, details: this.details };
  }
}

/**
 * True for a FosspushError, also when it comes from another copy of this package (two versions
 * in one dependency tree), which `instanceof` would miss.
 */
export function isFosspushError(value: unknown, code?: FosspushErrorCode): value is FosspushError {
  if (value instanceof FosspushError) return code === undefined || value.code === code;
  const candidate = value as { name?: unknown; code?: unknown } | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.name === 'FosspushError' &&
    typeof candidate.code === 'string' &&
    (code === undefined || candidate.code === code)
  );
}

/** Wraps anything thrown into a FosspushError, keeping FosspushErrors as they are. */
export function toFosspushError(value: unknown, fallback: FosspushErrorCode = 'INTERNAL'): FosspushError {
  if (isFosspushError(value)) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new FosspushError(fallback, message, { cause: value });
}

/** GCM's error names (the `error` field of a GCM result), for the SDK boundary. */
export type GcmErrorName =
  | 'InvalidRegistration'
  | 'NotRegistered'
  | 'MessageTooBig'
  | 'InvalidTtl'
  | 'InvalidDataKey'
  | 'MismatchSenderId'
  | 'AuthenticationError'
  | 'DeviceMessageRateExceeded'
  | 'Unavailable'
  | 'InternalServerError';

const GCM_ERROR_NAMES: Partial<Record<FosspushErrorCode, GcmErrorName>> = {
  INVALID_TOKEN: 'InvalidRegistration',
  UNSUPPORTED_TOKEN_VERSION: 'InvalidRegistration',
  INVALID_KEY: 'InvalidRegistration',
  NOT_FOUND: 'NotRegistered',
  GONE: 'NotRegistered',
  PAYLOAD_TOO_LARGE: 'MessageTooBig',
  INVALID_TTL: 'InvalidTtl',
  INVALID_MESSAGE: 'InvalidDataKey',
  INVALID_URGENCY: 'InvalidDataKey',
  INVALID_TOPIC: 'InvalidDataKey',
  PERMISSION_DENIED: 'MismatchSenderId',
  UNAUTHENTICATED: 'AuthenticationError',
  RATE_LIMITED: 'DeviceMessageRateExceeded',
  UNAVAILABLE: 'Unavailable',
  STORAGE_FULL: 'Unavailable',
  TIMEOUT: 'Unavailable',
  CLOSED: 'Unavailable',
};

export function toGcmErrorName(code: FosspushErrorCode): GcmErrorName {
  return GCM_ERROR_NAMES[code] ?? 'InternalServerError';
}

/** firebase-admin's `messaging/*` error codes, for the SDK boundary. */
export type FcmErrorCode =
  | 'messaging/invalid-argument'
  | 'messaging/invalid-registration-token'
  | 'messaging/registration-token-not-registered'
  | 'messaging/payload-size-limit-exceeded'
  | 'messaging/mismatched-credential'
  | 'messaging/authentication-error'
  | 'messaging/message-rate-exceeded'
  | 'messaging/server-unavailable'
  | 'messaging/internal-error';

const FCM_ERROR_CODES: Record<GcmErrorName, FcmErrorCode> = {
  InvalidRegistration: 'messaging/invalid-registration-token',
  NotRegistered: 'messaging/registration-token-not-registered',
  MessageTooBig: 'messaging/payload-size-limit-exceeded',
  InvalidTtl: 'messaging/invalid-argument',
  InvalidDataKey: 'messaging/invalid-argument',
  MismatchSenderId: 'messaging/mismatched-credential',
  AuthenticationError: 'messaging/authentication-error',
  DeviceMessageRateExceeded: 'messaging/message-rate-exceeded',
  Unavailable: 'messaging/server-unavailable',
  InternalServerError: 'messaging/internal-error',
};

export function toFcmErrorCode(code: FosspushErrorCode): FcmErrorCode {
  return FCM_ERROR_CODES[toGcmErrorName(code)];
}

/** Whether a sender should retry after this error (GCM: only Unavailable and InternalServerError). */
export function isTransient(code: FosspushErrorCode): boolean {
  return code === 'UNAVAILABLE' || code === 'STORAGE_FULL' || code === 'TIMEOUT' || code === 'INTERNAL' || code === 'RATE_LIMITED';
}
