import {
  buildNotificationEmail,
  createPushMessage,
  type EmailIdentity,
  encryptWebPush,
  readEmailTokenFields,
  resolveRuntime,
  type Runtime,
} from '@fosspush/core';
import { createMemoryHandshakeStore, type HandshakeStore } from './handshake-store.js';
import type { Transport } from './transport.js';

/** Anything that submits a complete RFC 5322 message: `createSmtpTransport` from `@fosspush/imap` fits. */
export interface MailSubmitter {
  send(mail: { raw: string; from: string; to: string }): Promise<unknown>;
  close?(): Promise<void> | void;
}

export interface EmailRouteOptions {
  /** The app server's address and Autocrypt key (`generateEmailIdentity`): it signs every mail. */
  identity: EmailIdentity;
  /** Where mail is submitted: a pooled SMTP transport (`createSmtpTransport(...)` from `@fosspush/imap`). */
  smtp: MailSubmitter;
  /**
   * Which registrations already have the sender's key.
   * @default createMemoryHandshakeStore()
   */
  handshakeStore?: HandshakeStore;
}

/**
 * The email route (Email-notify spec): the same RFC 8291 body as on Web Push, wrapped by core's
 * `buildNotificationEmail` (encrypted to the device key, signed by the sender's) and submitted
 * over SMTP. The first mail to a registration carries the sender's key (the handshake the
 * device pins); once one has been accepted for delivery, later mails leave it out.
 */
export function createEmailTransport(options: EmailRouteOptions, sender: { runtime?: Partial<Runtime> } = {}): Transport {
  const runtime = resolveRuntime(sender.runtime);
  const handshakes = options.handshakeStore ?? createMemoryHandshakeStore();

  return {
    async send(token, message) {
      const fields = readEmailTokenFields(token);
      // The auth secret is fresh per registration, so a device that registers again gets the
      // handshake again even at the same address and registration id.
      const registrationKey = `${fields.address} ${fields.registrationId} ${token.auth}`;
      const payload = await encryptWebPush(message.plaintext, { p256dh: token.p256dh, auth: token.auth }, { runtime });
      const push = createPushMessage(
        { payload, ttlSeconds: message.ttlSeconds, urgency: message.urgency, topic: message.topic },
        runtime,
      );
      const includeSenderKey = !(await handshakes.has(registrationKey));
      const mail = await buildNotificationEmail({ token, message: push, sender: options.identity, includeSenderKey, runtime });
      if (message.dryRun) return { messageId: push.id };
      await options.smtp.send({ raw: mail.raw, from: options.identity.address, to: fields.address });
      if (includeSenderKey) await handshakes.add(registrationKey);
      return { messageId: push.id };
    },
    close: () => options.smtp.close?.(),
  };
}
