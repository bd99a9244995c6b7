import { decryptMessage } from '../autocrypt/crypto.js';
import { armoredPublicKey, keyFingerprint } from '../autocrypt/keys.js';
import { FosspushError } from '../errors.js';
import { expiresAt, type PushMessage } from '../message.js';
import { type Runtime, resolveRuntime } from '../runtime.js';
import { EMAIL_NOTIFY_LIMITS } from './constants.js';
import { readNotificationEnvelope } from './envelope.js';
import type { EmailIdentity } from './identity.js';
import { parseCryptographicPayload } from './payload.js';

/** What a receiver (the device's daemon) gives `parseNotificationEmail`: its key and its state. */
export interface ReceiverContext {
  /** The device's key pair: its secret key decrypts. */
  deviceIdentity: EmailIdentity;
  /** The armored sender key pinned for a registration at its hello, if any. */
  pinnedSenderKey(registrationId: string): Promise<string | undefined>;
  /** Pins the sender key of a registration (trust on first use). Called only for accepted mail. */
  pinSenderKey(registrationId: string, armoredKey: string): Promise<void>;
  /** `Store.markSeen`: true the first time a key is seen, false for a replay. */
  markSeen(key: string, expiresAt: number): Promise<boolean>;
  runtime?: Partial<Runtime>;
}

export interface ReceivedNotification {
  readonly registrationId: string;
  readonly message: PushMessage;
  /** True when this mail was the registration's hello and its sender key was pinned now. */
  readonly pinnedNow: boolean;
}

async function senderKeyFingerprint(keydata: Uint8Array): Promise<string> {
  try {
    return await keyFingerprint(keydata);
  } catch (cause) {
    throw new FosspushError('MALFORMED_EMAIL', 'the sender key in the mail is not a readable OpenPGP key', { cause });
  }
}

/** The seen-id store key of a notification: per registration, so ids never collide across senders. */
export function notificationSeenKey(registrationId: string, messageId: string): string {
  return `email-notify:${registrationId}:${messageId}`;
}

/**
 * Reads, decrypts and authenticates a notification mail, in the order the Email-notify spec
 * prescribes, and rejects it with a typed error unless everything holds:
 * PAYLOAD_TOO_LARGE (checked first, before any parsing), NOT_A_NOTIFICATION, MALFORMED_EMAIL,
 * DECRYPT_FAILED, UNSIGNED, UNKNOWN_SENDER (no pinned key and none in the mail),
 * BAD_SIGNATURE (not signed by the pinned key, or a different key offered), EXPIRED, REPLAYED.
 * Only an accepted mail pins a key or marks its id as seen. A mail meant for another receiver
 * sharing the mailbox (spec section 7.3), which the caller should leave alone, is rejected with
 * `details.reason` `other-recipient` (DECRYPT_FAILED) or `unsupported-version` (MALFORMED_EMAIL).
 *
 * @example
 * const { registrationId, message } = await parseNotificationEmail(raw, context);
 */
export async function parseNotificationEmail(raw: string | Uint8Array, context: ReceiverContext): Promise<ReceivedNotification> {
  const runtime = resolveRuntime(context.runtime);
  const envelope = readNotificationEnvelope(raw);
  const decrypted = await decryptMessage(envelope.encrypted, context.deviceIdentity.secretKey, {
    runtime,
    maxPlaintextBytes: EMAIL_NOTIFY_LIMITS.maxPlaintextBytes,
  });
  if (!decrypted.signed) throw new FosspushError('UNSIGNED', 'the notification is not signed');
  const payload = parseCryptographicPayload(decrypted.data);
  const { registrationId, message } = payload;

  const pinned = await context.pinnedSenderKey(registrationId);
  const offered = payload.sender?.autocrypt.keydata;
  const offeredFingerprint = offered === undefined ? undefined : await senderKeyFingerprint(offered);
  const verificationKey = pinned ?? offered;
  if (verificationKey === undefined) {
    throw new FosspushError('UNKNOWN_SENDER', 'no sender key is pinned for this registration and the mail offers none', {
      details: { registrationId },
    });
  }
  if (pinned !== undefined && offeredFingerprint !== undefined && offeredFingerprint !== (await keyFingerprint(pinned))) {
    throw new FosspushError('BAD_SIGNATURE', 'the mail offers a sender key other than the one pinned for this registration', {
      details: { registrationId },
    });
  }
  const now = runtime.clock.now();
  const skewMs = EMAIL_NOTIFY_LIMITS.clockSkewSeconds * 1000;
  // Checked at now + skew: openpgp.js refuses signatures "from the future", and clocks differ.
  await decrypted.verify([verificationKey], now + skewMs);

  if (message.sentAt > now + skewMs) throw new FosspushError('EXPIRED', 'the notification is dated in the future', { details: { registrationId } });
  const validUntil = expiresAt(message) + skewMs;
  if (now > validUntil) throw new FosspushError('EXPIRED', 'the notification has expired', { details: { registrationId } });

  let pinnedNow = false;
  if (pinned === undefined) {
    await context.pinSenderKey(registrationId, await armoredPublicKey(verificationKey));
    pinnedNow = true;
  }
  if (!(await context.markSeen(notificationSeenKey(registrationId, message.id), validUntil))) {
    throw new FosspushError('REPLAYED', 'this notification was already received', { details: { registrationId, messageId: message.id } });
  }
  return { registrationId, message, pinnedNow };
}
