// Test and benchmark fixtures that need no test runner: the app server side, forgeries, and
// ways to look at a mailbox without changing it.
import { createHash } from 'node:crypto';
import {
  buildNotificationEmail,
  type ChannelMessageEvent,
  type ChannelState,
  type ChannelSubscription,
  createPushMessage,
  type EmailIdentity,
  EMAIL_TOKEN_EXTRAS,
  encryptWebPush,
  type FosspushError,
  generateEmailIdentity,
  generateSubscriptionKeys,
  type PushMessage,
  type PushToken,
  type SubscriptionKeys,
  validateToken,
} from '@fosspush/core';
import type { MailRigInfo, MailRigUser } from '@fosspush/testing';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import * as openpgp from 'openpgp';
import { createImapChannel, createSmtpTransport, type ImapChannel, type ImapChannelOptions, type SmtpTransport } from '../src/index.js';

export function rigUser(info: MailRigInfo, name: string): MailRigUser {
  const user = info.users[name];
  if (user === undefined) throw new Error(`no rig user ${name}`);
  return user;
}

/** Channel options for a rig user: plaintext IMAP on loopback, fast retries. */
export function channelOptions(info: MailRigInfo, name: string, overrides: Partial<ImapChannelOptions> = {}): ImapChannelOptions {
  const user = rigUser(info, name);
  return {
    address: user.address,
    imap: { host: info.host, port: info.ports.imap, secure: false, auth: { user: user.name, pass: user.password } },
    reconnect: { initialDelayMs: 50, maxDelayMs: 400, resetAfterMs: 1_000 },
    ...overrides,
  };
}

export interface OpenChannel {
  channel: ImapChannel;
  messages: ChannelMessageEvent[];
  errors: FosspushError[];
  states: ChannelState[];
  close(): Promise<void>;
}

/** A connected channel that records its events and, like the daemon, acks what it receives. */
export async function openChannel(options: ImapChannelOptions, { ack = true } = {}): Promise<OpenChannel> {
  const channel = createImapChannel(options);
  const messages: ChannelMessageEvent[] = [];
  const errors: FosspushError[] = [];
  const states: ChannelState[] = [];
  channel.on('message', (event) => {
    messages.push(event);
    if (ack) void channel.ack(event.registrationId, event.message.id);
  });
  channel.on('error', (error) => errors.push(error));
  channel.on('state', (state) => states.push(state));
  await channel.connect();
  return { channel, messages, errors, states, close: () => channel.close() };
}

/** A registration as the app server holds it: the token and, for checking, the app's keys. */
export interface AppRegistration {
  token: PushToken;
  keys: SubscriptionKeys;
  address: string;
}

export interface NotificationOptions {
  /** Carry the sender key (the hello). @default false */
  hello?: boolean;
  text?: string;
  ttlSeconds?: number;
  /** Sign with another identity (a forger). */
  identity?: EmailIdentity;
  /** When the message was accepted: long ago makes it expired. @default now */
  sentAt?: number;
}

/** The app server's side, built from core and our SMTP transport (what @fosspush/sender does). */
export class AppServer {
  private constructor(
    readonly identity: EmailIdentity,
    readonly smtp: SmtpTransport,
  ) {}

  static async create(info: MailRigInfo): Promise<AppServer> {
    const smtp = createSmtpTransport({ host: info.host, port: info.ports.smtp });
    return new AppServer(await generateEmailIdentity('push@app.example'), smtp);
  }

  async register(subscription: ChannelSubscription): Promise<AppRegistration> {
    const keys = await generateSubscriptionKeys();
    const token = validateToken({ channel: 'email', endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras });
    return { token, keys, address: subscription.endpoint.slice('mailto:'.length) };
  }

  async notification(registration: AppRegistration, options: NotificationOptions = {}): Promise<{ raw: string; message: PushMessage }> {
    const payload = await encryptWebPush(new TextEncoder().encode(options.text ?? 'hello'), { p256dh: registration.token.p256dh, auth: registration.token.auth });
    const message = createPushMessage({ payload, ttlSeconds: options.ttlSeconds ?? 3600, sentAt: options.sentAt });
    const { raw } = await buildNotificationEmail({
      token: registration.token,
      message,
      sender: options.identity ?? this.identity,
      includeSenderKey: options.hello ?? false,
    });
    return { raw, message };
  }

  async send(registration: AppRegistration, raw: string): Promise<void> {
    await this.smtp.send({ raw, from: this.identity.address, to: registration.address });
  }

  /** Builds and sends; returns the message the device should receive. */
  async notify(registration: AppRegistration, options: NotificationOptions = {}): Promise<PushMessage> {
    const { raw, message } = await this.notification(registration, options);
    await this.send(registration, raw);
    return message;
  }

  close(): Promise<void> {
    return this.smtp.close();
  }
}

/** Replaces the OpenPGP message of a built notification, keeping its outer structure. */
export function rewrap(raw: string, encrypted: Uint8Array): string {
  const start = raw.indexOf('Content-Transfer-Encoding: base64\r\n\r\n') + 'Content-Transfer-Encoding: base64\r\n\r\n'.length;
  const end = raw.lastIndexOf('\r\n--');
  const lines = Buffer.from(encrypted).toString('base64').match(/.{1,76}/g) ?? [];
  return `${raw.slice(0, start)}${lines.join('\r\n')}${raw.slice(end)}`;
}

/** A notification encrypted to the device but signed by nobody. */
export async function unsignedNotification(registration: AppRegistration, template: string): Promise<string> {
  const deviceKey = await openpgp.readKey({ binaryKey: Buffer.from(registration.token.extras[EMAIL_TOKEN_EXTRAS.deviceKey] ?? '', 'base64') });
  const encrypted = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: new TextEncoder().encode('Fosspush-Push: reg=x; id=y; sent=1; ttl=60\r\n\r\n') }),
    encryptionKeys: deviceKey,
    format: 'binary',
  });
  return rewrap(template, encrypted);
}

export type RegularKind = 'text' | 'html' | 'attachment';

/** Ordinary mail from another client (plain nodemailer through Postfix). */
export async function sendRegularMail(info: MailRigInfo, to: string, kind: RegularKind, subject = `regular ${kind}`): Promise<void> {
  const transport = nodemailer.createTransport({ host: info.host, port: info.ports.smtp, secure: false, ignoreTLS: true });
  const content =
    kind === 'text'
      ? { text: 'Shall we try the new place near the station?' }
      : kind === 'html'
        ? { html: '<p>Minutes of the <b>meeting</b></p>', text: 'Minutes of the meeting' }
        : { text: 'The report is attached.', attachments: [{ filename: 'report.pdf', content: Buffer.alloc(20_000, 7), contentType: 'application/pdf' }] };
  try {
    await transport.sendMail({ from: 'Bob <bob@example.org>', to, subject, ...content });
  } finally {
    transport.close();
  }
}

/** A plain IMAP client for looking at a mailbox the way a test wants to. */
export async function inspector(info: MailRigInfo, name: string): Promise<ImapFlow> {
  const user = rigUser(info, name);
  const client = new ImapFlow({ host: info.host, port: info.ports.imap, secure: false, auth: { user: user.name, pass: user.password }, logger: false });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export interface MailState {
  flags: string[];
  sha256: string;
  subject: string;
}

/**
 * Every message of a folder with its flags and a hash of its bytes, read without changing
 * anything (EXAMINE, BODY.PEEK). Undefined when the folder does not exist.
 */
export async function snapshot(client: ImapFlow, path: string | string[]): Promise<Map<number, MailState> | undefined> {
  try {
    await client.mailboxOpen(path, { readOnly: true });
  } catch {
    return undefined;
  }
  const out = new Map<number, MailState>();
  if (client.mailbox === false || client.mailbox.exists === 0) return out;
  for (const message of await client.fetchAll('1:*', { uid: true, flags: true, source: true, envelope: true })) {
    out.set(message.uid, {
      flags: [...(message.flags ?? [])].sort(),
      sha256: createHash('sha256')
        // A message expunged while this runs comes back without its source.
        .update(message.source || Buffer.alloc(0))
        .digest('hex'),
      subject: message.envelope?.subject ?? '',
    });
  }
  return out;
}

/**
 * How many messages a folder holds, 0 when it does not exist. EXAMINE, not STATUS: a server may
 * answer STATUS for the selected mailbox from the session's stale view (Dovecot does). Nothing
 * is downloaded, so mail expunged meanwhile cannot trip it.
 */
export async function count(client: ImapFlow, path: string | string[]): Promise<number> {
  try {
    const box = await client.mailboxOpen(path, { readOnly: true });
    return box.exists;
  } catch {
    return 0;
  }
}

/** The quarantine folder of a rig, as segments: the server joins them with its own separator. */
export const quarantineOf = (info: MailRigInfo): string[] => [info.folder, 'Quarantine'];

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
