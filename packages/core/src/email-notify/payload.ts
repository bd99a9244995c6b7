import { singleAddress } from '../autocrypt/address.js';
import { AUTOCRYPT_HEADER, type AutocryptHeader, formatAutocryptHeader, parseAutocryptHeader } from '../autocrypt/header.js';
import { concatBytes } from '../encoding/bytes.js';
import { FosspushError, isFosspushError } from '../errors.js';
import { createPushMessage, type PushMessage, URGENCIES, type Urgency } from '../message.js';
import { EMAIL_NOTIFY_MEDIA_TYPE, EMAIL_NOTIFY_PUSH_HEADER, REGISTRATION_ID_PATTERN } from './constants.js';
import { bytesToLatin1, isSevenBitText, malformed, parseContentType, parseHeaderSection, singleField } from './mime.js';

/** What the encrypted and signed part of a notification holds. */
export interface CryptographicPayload {
  readonly registrationId: string;
  readonly message: PushMessage;
  /** The sender's address and key, in a hello (the first notification to a registration). */
  readonly sender?: { readonly address: string; readonly autocrypt: AutocryptHeader };
}

const encoder = new TextEncoder();

/** The `Fosspush-Push` field value: registration, message id, sent time (ms), TTL, urgency, topic. */
export function formatPushField(registrationId: string, message: PushMessage): string {
  let value = `reg=${registrationId}; id=${message.id}; sent=${message.sentAt}; ttl=${message.ttlSeconds}`;
  if (message.urgency !== 'normal') value += `; urg=${message.urgency}`;
  if (message.topic !== undefined) value += `; topic=${message.topic}`;
  return value;
}

/**
 * Serialises the cryptographic payload: a MIME entity whose header section carries the
 * protected fields (RFC 9788 `hp="cipher"`) and whose body is the Web Push message, binary.
 */
export function formatCryptographicPayload(payload: CryptographicPayload): Uint8Array {
  const lines = [
    `Content-Type: ${EMAIL_NOTIFY_MEDIA_TYPE}; hp="cipher"`,
    'Content-Transfer-Encoding: binary',
    `${EMAIL_NOTIFY_PUSH_HEADER}: ${formatPushField(payload.registrationId, payload.message)}`,
  ];
  if (payload.sender !== undefined) {
    lines.push(`From: ${payload.sender.address}`, formatAutocryptHeader(payload.sender.autocrypt));
  }
  return concatBytes(encoder.encode(`${lines.join('\r\n')}\r\n\r\n`), payload.message.payload);
}

interface PushField {
  reg?: string;
  id?: string;
  sent?: string;
  ttl?: string;
  urg?: string;
  topic?: string;
}

const KNOWN_PARAMETERS = new Set(['reg', 'id', 'sent', 'ttl', 'urg', 'topic']);

function readPushField(value: string): PushField {
  const field: Record<string, string> = {};
  for (const segment of value.split(';')) {
    const trimmed = segment.trim();
    if (trimmed === '') continue;
    const match = /^([a-z][a-z0-9-]*)=([\x21-\x3a\x3c-\x7e]+)$/.exec(trimmed);
    if (!match) throw malformed(`${EMAIL_NOTIFY_PUSH_HEADER} has a malformed parameter`, { field: EMAIL_NOTIFY_PUSH_HEADER });
    const name = match[1] ?? '';
    const parameter = match[2] ?? '';
    if (name in field) throw malformed(`${EMAIL_NOTIFY_PUSH_HEADER} repeats ${name}`, { field: EMAIL_NOTIFY_PUSH_HEADER });
    // Unknown parameters are ignored, so later versions can add some.
    if (KNOWN_PARAMETERS.has(name)) field[name] = parameter;
  }
  return field as PushField;
}

const DIGITS = /^\d{1,15}$/;

/**
 * Reads a decrypted cryptographic payload. Throws MALFORMED_EMAIL for anything that is not
 * exactly this structure, PAYLOAD_TOO_LARGE for a Web Push message over 4096 bytes.
 */
export function parseCryptographicPayload(bytes: Uint8Array): CryptographicPayload {
  const head = bytesToLatin1(bytes.subarray(0, Math.min(bytes.length, 16 * 1024)));
  const section = parseHeaderSection(head);
  if (!isSevenBitText(head.slice(0, section.bodyOffset))) throw malformed('the protected header section is not ASCII');
  const { fields } = section;
  const contentType = parseContentType(singleField(fields, 'Content-Type') ?? '');
  if (contentType.mediaType !== EMAIL_NOTIFY_MEDIA_TYPE) {
    throw malformed(`the encrypted part is ${contentType.mediaType}, not ${EMAIL_NOTIFY_MEDIA_TYPE}`);
  }
  const encoding = (singleField(fields, 'Content-Transfer-Encoding') ?? 'binary').toLowerCase();
  if (encoding !== 'binary') throw malformed('the Web Push message must be carried binary', { field: 'Content-Transfer-Encoding' });

  const push = readPushField(singleField(fields, EMAIL_NOTIFY_PUSH_HEADER) ?? '');
  if (push.reg === undefined || !REGISTRATION_ID_PATTERN.test(push.reg)) throw malformed('no valid registration id', { field: 'reg' });
  if (push.id === undefined) throw malformed('no message id', { field: 'id' });
  if (push.sent === undefined || !DIGITS.test(push.sent)) throw malformed('no valid sent time', { field: 'sent' });
  if (push.ttl === undefined || !DIGITS.test(push.ttl)) throw malformed('no valid ttl', { field: 'ttl' });
  if (push.urg !== undefined && !URGENCIES.includes(push.urg as Urgency)) throw malformed('unknown urgency', { field: 'urg' });

  let message: PushMessage;
  try {
    message = createPushMessage({
      id: push.id,
      payload: bytes.slice(section.bodyOffset),
      ttlSeconds: Number(push.ttl),
      urgency: (push.urg ?? 'normal') as Urgency,
      topic: push.topic,
      sentAt: Number(push.sent),
    });
  } catch (cause) {
    if (isFosspushError(cause, 'PAYLOAD_TOO_LARGE')) throw cause;
    throw new FosspushError('MALFORMED_EMAIL', `the push fields are not valid: ${(cause as Error).message}`, { cause });
  }

  const from = singleField(fields, 'From');
  const [autocryptField, ...moreAutocrypt] = fields.filter((field) => field.name.toLowerCase() === AUTOCRYPT_HEADER.toLowerCase());
  if (autocryptField === undefined) return { registrationId: push.reg, message };
  if (moreAutocrypt.length > 0) throw malformed('more than one Autocrypt header');
  const address = from === undefined ? undefined : singleAddress(from);
  if (address === undefined) throw malformed('a sender key needs exactly one From address');
  let autocrypt: AutocryptHeader;
  try {
    autocrypt = parseAutocryptHeader(autocryptField.raw, { fromAddress: address });
  } catch (cause) {
    throw new FosspushError('MALFORMED_EMAIL', `the sender key header is not valid: ${(cause as Error).message}`, { cause });
  }
  return { registrationId: push.reg, message, sender: { address, autocrypt } };
}
