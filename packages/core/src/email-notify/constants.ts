import { PUSH_LIMITS } from '../message.js';

/**
 * The header field a notification mail carries in its outer header section and ordinary mail
 * never does: server-side filters (Sieve) and receivers match on its name alone.
 */
export const EMAIL_NOTIFY_MARKER_HEADER = 'Fosspush-Notify';
/** The version this library writes and reads: the value of the marker header. */
export const EMAIL_NOTIFY_VERSION = 1;
/** The protected header field inside the encrypted part that routes and describes the message. */
export const EMAIL_NOTIFY_PUSH_HEADER = 'Fosspush-Push';
/** Media type of the cryptographic payload (the decrypted MIME entity). */
export const EMAIL_NOTIFY_MEDIA_TYPE = 'application/vnd.fosspush.push';

/** The limits of the Email-notify spec, section "Size limits". */
export const EMAIL_NOTIFY_LIMITS = {
  /** A receiver refuses a larger mail before any parsing or crypto. */
  maxEmailBytes: 64 * 1024,
  /** The Web Push message the mail carries (RFC 8291). */
  maxPayloadBytes: PUSH_LIMITS.maxPayloadBytes,
  /** The decrypted cryptographic payload: headers, an optional sender key, the Web Push message. */
  maxPlaintextBytes: 32 * 1024,
  maxHeaderFields: 256,
  maxRegistrationIdLength: 128,
  maxRoutingHintLength: 32,
  /** Clock difference tolerated between sender and receiver when checking sent time and expiry. */
  clockSkewSeconds: 600,
} as const;

/** Registration ids: RFC 3986 unreserved characters, so they fit in URLs, headers and keys. */
export const REGISTRATION_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
export const ROUTING_HINT_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;
/** The ASCII addr-spec subset this version puts in headers (no quoting, no SMTPUTF8). */
export const ASCII_ADDRESS_PATTERN = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
