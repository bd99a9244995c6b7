import { dearmor } from '../autocrypt/armor.js';
import { fromBase64, toBase64 } from '../autocrypt/base64.js';
import { FosspushError } from '../errors.js';
import type { PushToken } from '../token.js';
import { ASCII_ADDRESS_PATTERN, REGISTRATION_ID_PATTERN, ROUTING_HINT_PATTERN } from './constants.js';

/** What an email token carries for the sender, read from its endpoint and `extras`. */
export interface EmailTokenFields {
  /** The device's mailbox, from the `mailto:` endpoint. */
  readonly address: string;
  /** The device's Autocrypt key: a binary OpenPGP transferable public key. */
  readonly deviceKey: Uint8Array;
  /** The registration the notification is for; it travels inside the encrypted part. */
  readonly registrationId: string;
  /** Opaque tag for the outer marker header, so filters can sort without decrypting. */
  readonly routingHint?: string;
}

/** The names of the email channel's token `extras` (Email-notify spec, "Registration"). */
export const EMAIL_TOKEN_EXTRAS = { deviceKey: 'autocrypt', registrationId: 'rid', routingHint: 'route' } as const;

function invalid(message: string, cause?: unknown): FosspushError {
  return new FosspushError('INVALID_TOKEN', message, { cause });
}

/** OpenPGP packet tag of the first packet (old or new format header), or undefined. */
function firstPacketTag(bytes: Uint8Array): number | undefined {
  const header = bytes[0];
  if (header === undefined || (header & 0x80) === 0) return undefined;
  return header & 0x40 ? header & 0x3f : (header >> 2) & 0x0f;
}

const PUBLIC_KEY_PACKET = 6;

function checkDeviceKey(bytes: Uint8Array, fail: (message: string) => FosspushError): Uint8Array {
  // A secret key here would hand the device's private key to every app server.
  if (firstPacketTag(bytes) !== PUBLIC_KEY_PACKET) throw fail('the device key must be an OpenPGP public key');
  return bytes;
}

/**
 * The token `extras` a device puts in an email token: its Autocrypt public key (as base64
 * binary, like an Autocrypt header's `keydata`), the registration id and an optional routing hint.
 *
 * @example
 * const token = encodeToken({ channel: 'email', endpoint: 'mailto:alice@example.org', p256dh, auth,
 *   extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'r1' }) });
 */
export function emailTokenExtras(input: { deviceKey: string; registrationId: string; routingHint?: string }): Record<string, string> {
  const keydata = checkDeviceKey(dearmor(input.deviceKey, 'PUBLIC KEY BLOCK', 'INVALID_KEY'), (message) => new FosspushError('INVALID_KEY', message));
  if (!REGISTRATION_ID_PATTERN.test(input.registrationId)) {
    throw new FosspushError('INVALID_REQUEST', 'registration id must be 1 to 128 URL-unreserved characters');
  }
  const extras: Record<string, string> = {
    [EMAIL_TOKEN_EXTRAS.deviceKey]: toBase64(keydata),
    [EMAIL_TOKEN_EXTRAS.registrationId]: input.registrationId,
  };
  if (input.routingHint !== undefined) {
    if (!ROUTING_HINT_PATTERN.test(input.routingHint)) throw new FosspushError('INVALID_REQUEST', 'routing hint must be 1 to 32 base64url characters');
    extras[EMAIL_TOKEN_EXTRAS.routingHint] = input.routingHint;
  }
  return extras;
}

/**
 * Reads and checks the email fields of a token. Throws INVALID_TOKEN.
 *
 * @example
 * const { address, registrationId } = readEmailTokenFields(decodeToken(tokenString));
 */
export function readEmailTokenFields(token: PushToken): EmailTokenFields {
  if (token.channel !== 'email') throw invalid(`a ${token.channel} token cannot be reached by email`);
  let address: string;
  try {
    const url = new URL(token.endpoint);
    if (url.protocol !== 'mailto:' || url.search !== '' || url.hash !== '') throw new Error('not a plain mailto: URL');
    address = decodeURIComponent(url.pathname);
  } catch (cause) {
    throw invalid('email token endpoint must be mailto:<address>', cause);
  }
  if (!ASCII_ADDRESS_PATTERN.test(address)) throw invalid('email token endpoint is not a plain ASCII address');
  const extras = token.extras;
  const keydata = extras[EMAIL_TOKEN_EXTRAS.deviceKey];
  const registrationId = extras[EMAIL_TOKEN_EXTRAS.registrationId];
  const routingHint = extras[EMAIL_TOKEN_EXTRAS.routingHint];
  if (keydata === undefined) throw invalid(`email token has no ${EMAIL_TOKEN_EXTRAS.deviceKey} (device key)`);
  if (registrationId === undefined || !REGISTRATION_ID_PATTERN.test(registrationId)) throw invalid('email token has no valid registration id');
  if (routingHint !== undefined && !ROUTING_HINT_PATTERN.test(routingHint)) throw invalid('email token routing hint is not valid');
  const deviceKey = checkDeviceKey(fromBase64(keydata, 'email token device key', 'INVALID_TOKEN'), invalid);
  const fields = { address, deviceKey, registrationId };
  return routingHint === undefined ? fields : { ...fields, routingHint };
}
