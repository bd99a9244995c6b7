import { formatRfc5322Date } from '../autocrypt/date.js';
import { toBase64Lines } from '../autocrypt/base64.js';
import { encryptAndSign } from '../autocrypt/crypto.js';
import { publicKeyBytes } from '../autocrypt/keys.js';
import { toBase64Url } from '../encoding/base64url.js';
import { FosspushError } from '../errors.js';
import { type PushMessage, validateMessageId, validatePayload, validateTtl } from '../message.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import type { PushToken } from '../token.js';
import { ASCII_ADDRESS_PATTERN, EMAIL_NOTIFY_MARKER_HEADER, EMAIL_NOTIFY_VERSION } from './constants.js';
import type { EmailIdentity } from './identity.js';
import { formatCryptographicPayload } from './payload.js';
import { readEmailTokenFields } from './token-fields.js';

export interface BuildNotificationInput {
  /** An `email` token: `mailto:` endpoint, extras with the device key and registration id. */
  token: PushToken;
  /** Its payload is the RFC 8291 body, already encrypted to the registration. */
  message: PushMessage;
  /** The app server's identity: its key signs, its address is the From. */
  sender: EmailIdentity;
  /** True for the hello (first notification to a registration): the mail then carries the sender's key. */
  includeSenderKey: boolean;
  runtime?: Partial<Runtime>;
}

export interface BuiltNotification {
  /** The complete RFC 5322 message, CRLF line endings, 7-bit: ready for SMTP DATA or IMAP APPEND. */
  raw: string;
  /** The `Message-ID` header value, angle brackets included. Receivers do not rely on it. */
  messageId: string;
}

/** RFC 9788 "[...]": the obscured Subject of a header-protected message. */
const OBSCURED_SUBJECT = '[...]';

/**
 * Builds a notification mail per the Email-notify spec: PGP/MIME encrypted to the device's
 * key and signed by the sender's, the Web Push message and its routing inside, and outside
 * only what delivery needs plus the marker header.
 *
 * @example
 * const { raw } = await buildNotificationEmail({ token, message, sender, includeSenderKey: !helloSent });
 */
export async function buildNotificationEmail(input: BuildNotificationInput): Promise<BuiltNotification> {
  const runtime = resolveRuntime(input.runtime);
  const fields = readEmailTokenFields(input.token);
  const { sender, message } = input;
  if (typeof sender?.address !== 'string' || !ASCII_ADDRESS_PATTERN.test(sender.address)) {
    throw new FosspushError('INVALID_REQUEST', 'the sender address is not a plain ASCII e-mail address');
  }
  validateMessageId(message.id);
  validatePayload(message.payload);
  validateTtl(message.ttlSeconds);

  const plaintext = formatCryptographicPayload({
    registrationId: fields.registrationId,
    message,
    ...(input.includeSenderKey
      ? {
          sender: {
            address: sender.address,
            autocrypt: { addr: sender.address, preferEncrypt: 'mutual', keydata: await publicKeyBytes(sender.publicKey) },
          },
        }
      : {}),
  });
  const encrypted = await encryptAndSign({
    data: plaintext,
    encryptionKeys: [fields.deviceKey],
    signingKey: sender.secretKey,
    format: 'binary',
    runtime,
  });

  const boundary = `fp${toBase64Url(runtime.random.bytes(6))}`;
  const domain = sender.address.slice(sender.address.lastIndexOf('@') + 1);
  const messageId = `<${toBase64Url(runtime.random.bytes(12))}@${domain}>`;
  const marker = fields.routingHint === undefined ? `${EMAIL_NOTIFY_VERSION}` : `${EMAIL_NOTIFY_VERSION}; r=${fields.routingHint}`;
  const lines = [
    `From: ${sender.address}`,
    `To: ${fields.address}`,
    `Subject: ${OBSCURED_SUBJECT}`,
    `Date: ${formatRfc5322Date(runtime.clock.now())}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    `${EMAIL_NOTIFY_MARKER_HEADER}: ${marker}`,
    `Content-Type: multipart/encrypted; protocol="application/pgp-encrypted";\r\n boundary=${boundary}`,
    '',
    `--${boundary}`,
    'Content-Type: application/pgp-encrypted',
    '',
    'Version: 1',
    `--${boundary}`,
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    ...toBase64Lines(encrypted),
    `--${boundary}--`,
    '',
  ];
  return { raw: lines.join('\r\n'), messageId };
}
