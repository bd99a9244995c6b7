import { fromBase64 } from '../autocrypt/base64.js';
import { FosspushError } from '../errors.js';
import { EMAIL_NOTIFY_LIMITS, EMAIL_NOTIFY_MARKER_HEADER, EMAIL_NOTIFY_VERSION, ROUTING_HINT_PATTERN } from './constants.js';
import { bytesToLatin1, headerSectionEnd, isSevenBitText, malformed, parseContentType, parseHeaderSection, singleField, splitMultipart } from './mime.js';

/** The outer, cleartext layer of a notification: the marker and the OpenPGP message it wraps. */
export interface NotificationEnvelope {
  readonly routingHint?: string;
  /** Binary OpenPGP message, or ASCII-armored text when a sender armored it. */
  readonly encrypted: Uint8Array | string;
}

const MARKER_VALUE = /^(\d{1,3})[ \t]*(?:;[ \t]*r=([^;\s]*)[ \t]*)?$/;
const ARMOR_BEGIN = '-----BEGIN PGP MESSAGE-----';

function sizeOf(raw: string | Uint8Array): number {
  return typeof raw === 'string' ? raw.length : raw.byteLength;
}

function checkSize(raw: string | Uint8Array): void {
  if (sizeOf(raw) > EMAIL_NOTIFY_LIMITS.maxEmailBytes) {
    throw new FosspushError('PAYLOAD_TOO_LARGE', `a notification mail is at most ${EMAIL_NOTIFY_LIMITS.maxEmailBytes} bytes`, {
      details: { size: sizeOf(raw) },
    });
  }
}

function toText(raw: string | Uint8Array): string {
  return typeof raw === 'string' ? raw : bytesToLatin1(raw);
}

const MARKER_LINE = new RegExp(`(?:^|\\n)${EMAIL_NOTIFY_MARKER_HEADER}[ \\t]*:`, 'i');

/**
 * Whether a raw mail carries the marker header: a cheap look at the header section only, for
 * deciding which mails to fetch or move. It proves nothing; `parseNotificationEmail` does.
 *
 * @example
 * if (isNotificationEmail(headerBytes)) await moveToNotificationFolder(uid);
 */
export function isNotificationEmail(raw: string | Uint8Array): boolean {
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) return false;
  const head = toText(typeof raw === 'string' ? raw.slice(0, EMAIL_NOTIFY_LIMITS.maxEmailBytes) : raw.subarray(0, EMAIL_NOTIFY_LIMITS.maxEmailBytes));
  const end = headerSectionEnd(head)?.end ?? head.length;
  return MARKER_LINE.test(head.slice(0, end));
}

/**
 * Reads the outer PGP/MIME structure (RFC 3156 `multipart/encrypted`) of a notification mail.
 * Throws PAYLOAD_TOO_LARGE over the size limit, NOT_A_NOTIFICATION without the marker header,
 * MALFORMED_EMAIL for anything else that is not exactly this structure.
 */
export function readNotificationEnvelope(raw: string | Uint8Array): NotificationEnvelope {
  if (typeof raw !== 'string' && !(raw instanceof Uint8Array)) throw malformed('a mail is a string or bytes');
  checkSize(raw);
  const text = toText(raw);
  const { fields, bodyOffset } = parseHeaderSection(text);
  const marker = singleField(fields, EMAIL_NOTIFY_MARKER_HEADER);
  if (marker === undefined) throw new FosspushError('NOT_A_NOTIFICATION', `the mail has no ${EMAIL_NOTIFY_MARKER_HEADER} header`);
  const markerMatch = MARKER_VALUE.exec(marker);
  if (!markerMatch) throw malformed(`${EMAIL_NOTIFY_MARKER_HEADER} is malformed`, { field: EMAIL_NOTIFY_MARKER_HEADER });
  if (Number(markerMatch[1]) !== EMAIL_NOTIFY_VERSION) {
    throw malformed(`Email-notify version ${markerMatch[1]} is not supported (this library reads ${EMAIL_NOTIFY_VERSION})`, {
      field: EMAIL_NOTIFY_MARKER_HEADER,
      reason: 'unsupported-version',
    });
  }
  const routingHint = markerMatch[2];
  if (routingHint !== undefined && !ROUTING_HINT_PATTERN.test(routingHint)) throw malformed('the routing hint is malformed', { field: 'r' });

  const contentType = parseContentType(singleField(fields, 'Content-Type') ?? '');
  if (contentType.mediaType !== 'multipart/encrypted' || contentType.parameters.get('protocol')?.toLowerCase() !== 'application/pgp-encrypted') {
    throw malformed('a notification is multipart/encrypted with protocol application/pgp-encrypted', { field: 'Content-Type' });
  }
  const parts = splitMultipart(text.slice(bodyOffset), contentType.parameters.get('boundary') ?? '');
  if (parts.length !== 2) throw malformed(`multipart/encrypted has ${parts.length} parts, not 2`);
  const [control, data] = parts as [string, string];
  readControlPart(control);
  const encrypted = readDataPart(data);
  return routingHint === undefined ? { encrypted } : { encrypted, routingHint };
}

/** RFC 3156 section 4: the first part is application/pgp-encrypted and says "Version: 1". */
function readControlPart(part: string): void {
  const { fields, bodyOffset } = parseHeaderSection(part);
  if (parseContentType(singleField(fields, 'Content-Type') ?? '').mediaType !== 'application/pgp-encrypted') {
    throw malformed('the first part is not application/pgp-encrypted');
  }
  if (!/^Version:[ \t]*1[ \t]*$/m.test(part.slice(bodyOffset))) throw malformed('the first part does not say Version: 1');
}

function readDataPart(part: string): Uint8Array | string {
  const { fields, bodyOffset } = parseHeaderSection(part);
  if (parseContentType(singleField(fields, 'Content-Type') ?? '').mediaType !== 'application/octet-stream') {
    throw malformed('the second part is not application/octet-stream');
  }
  const encoding = (singleField(fields, 'Content-Transfer-Encoding') ?? '7bit').toLowerCase();
  const body = part.slice(bodyOffset);
  if (encoding === 'base64') {
    const bytes = fromBase64(body, 'the encrypted part', 'MALFORMED_EMAIL');
    if (bytes.length === 0) throw malformed('the encrypted part is empty');
    return bytes;
  }
  if (encoding !== '7bit' && encoding !== '8bit') throw malformed(`unsupported Content-Transfer-Encoding ${encoding}`);
  // RFC 3156 senders usually armor; accepted so that standard tools can produce notifications.
  if (!body.trimStart().startsWith(ARMOR_BEGIN)) throw malformed('the encrypted part is neither base64 nor ASCII armor');
  if (!isSevenBitText(body)) throw malformed('the armored part is not ASCII');
  return body;
}
