import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBase64Lines } from '../src/autocrypt/base64.js';
import { encryptAndSign } from '../src/autocrypt/crypto.js';
import { keyFingerprint } from '../src/autocrypt/keys.js';
import { buildNotificationEmail } from '../src/email-notify/build.js';
import { EMAIL_NOTIFY_LIMITS, EMAIL_NOTIFY_MARKER_HEADER } from '../src/email-notify/constants.js';
import { isNotificationEmail } from '../src/email-notify/envelope.js';
import { type EmailIdentity, generateEmailIdentity } from '../src/email-notify/identity.js';
import { parseNotificationEmail, type ReceiverContext } from '../src/email-notify/parse.js';
import { formatCryptographicPayload } from '../src/email-notify/payload.js';
import { emailTokenExtras } from '../src/email-notify/token-fields.js';
import { toBase64Url } from '../src/encoding/base64url.js';
import { isFosspushError } from '../src/errors.js';
import { createPushMessage, type PushMessage } from '../src/message.js';
import { manualClock } from '../src/runtime.js';
import { decodeToken, encodeToken, type PushToken } from '../src/token.js';

const t0 = Date.parse('2026-03-01T12:00:00Z');
const clock = manualClock(t0);
const runtime = { clock };
const registrationId = 'reg-4Qm2';
let sender: EmailIdentity;
let device: EmailIdentity;
let stranger: EmailIdentity;
let token: PushToken;

beforeAll(async () => {
  [sender, device, stranger] = await Promise.all([
    generateEmailIdentity('push@app.example', { clock: manualClock(t0 - 86_400_000) }),
    generateEmailIdentity('alice@example.test', { clock: manualClock(t0 - 86_400_000) }),
    generateEmailIdentity('mallory@evil.example', { clock: manualClock(t0 - 86_400_000) }),
  ]);
  token = decodeToken(
    encodeToken({
      channel: 'email',
      endpoint: 'mailto:alice@example.test',
      p256dh: toBase64Url(Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : i))),
      auth: toBase64Url(new Uint8Array(16).fill(7)),
      extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId, routingHint: 'Hq3' }),
    }),
  );
});

/** A device-side receiver with in-memory pins and seen ids, recording every state change. */
function receiver(identity = () => device) {
  const pins = new Map<string, string>();
  const seen = new Map<string, number>();
  const context: ReceiverContext = {
    get deviceIdentity() {
      return identity();
    },
    pinnedSenderKey: async (id) => pins.get(id),
    pinSenderKey: async (id, key) => {
      pins.set(id, key);
    },
    markSeen: async (key, expiresAt) => {
      if (seen.has(key)) return false;
      seen.set(key, expiresAt);
      return true;
    },
    runtime,
  };
  return { context, pins, seen };
}

const message = (overrides: Partial<Parameters<typeof createPushMessage>[0]> = {}): PushMessage =>
  createPushMessage({ payload: Uint8Array.from({ length: 203 }, (_, i) => i), ttlSeconds: 3600, ...overrides }, runtime);

async function build(options: { includeSenderKey?: boolean; push?: PushMessage; from?: EmailIdentity } = {}) {
  return buildNotificationEmail({
    token,
    message: options.push ?? message(),
    sender: options.from ?? sender,
    includeSenderKey: options.includeSenderKey ?? false,
    runtime,
  });
}

/** Replaces the base64 OpenPGP body of a built mail with other bytes. */
function rewrap(raw: string, encrypted: Uint8Array): string {
  const lines = raw.split('\r\n');
  const start = lines.indexOf('Content-Transfer-Encoding: base64') + 2;
  const end = lines.findIndex((line, i) => i >= start && line.startsWith('--fp'));
  return [...lines.slice(0, start), ...toBase64Lines(encrypted), ...lines.slice(end)].join('\r\n');
}

async function rejection(raw: string | Uint8Array, context: ReceiverContext): Promise<{ code: string; details: Record<string, unknown> }> {
  const error = await parseNotificationEmail(raw, context).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isFosspushError(error), `expected a FosspushError, got ${String(error)}`).toBe(true);
  return error as { code: string; details: Record<string, unknown> };
}

describe('Email-notify round trip', () => {
  it('hello then compact: delivers the exact message, pins at the hello, then verifies against the pin', async () => {
    const { context, pins, seen } = receiver();
    const hello = message({ urgency: 'high', topic: 'chat' });
    const first = await parseNotificationEmail((await build({ includeSenderKey: true, push: hello })).raw, context);
    expect(first).toEqual({ registrationId, message: hello, pinnedNow: true });
    expect(await keyFingerprint(pins.get(registrationId) as string)).toBe(await keyFingerprint(sender.publicKey));

    clock.advance(1000);
    const compact = message();
    const second = await parseNotificationEmail((await build({ push: compact })).raw, context);
    expect(second).toEqual({ registrationId, message: compact, pinnedNow: false });
    expect([...seen.values()]).toEqual([expiresAtWithSkew(hello), expiresAtWithSkew(compact)]);

    // A later mail that carries the pinned key again is fine.
    expect((await parseNotificationEmail((await build({ includeSenderKey: true })).raw, context)).pinnedNow).toBe(false);
  });

  it('accepts the mail as bytes and with bare LF line endings, as IMAP clients and files may hand it over', async () => {
    const { raw } = await build({ includeSenderKey: true });
    expect((await parseNotificationEmail(new TextEncoder().encode(raw), receiver().context)).registrationId).toBe(registrationId);
    expect((await parseNotificationEmail(raw.replace(/\r\n/g, '\n'), receiver().context)).registrationId).toBe(registrationId);
  });

  it('accepts an ASCII-armored encrypted part, as standard OpenPGP tools write it', async () => {
    const push = message();
    const armored = await encryptAndSign({
      data: formatCryptographicPayload({ registrationId, message: push, sender: { address: sender.address, autocrypt: { addr: sender.address, preferEncrypt: 'mutual', keydata: (await openpgp.readKey({ armoredKey: sender.publicKey })).write() } } }),
      encryptionKeys: [device.publicKey],
      signingKey: sender.secretKey,
      runtime,
    });
    const { raw } = await build();
    const armoredMail = rewrap(raw, new Uint8Array()).replace('Content-Transfer-Encoding: base64\r\n\r\n', `Content-Transfer-Encoding: 7bit\r\n\r\n${armored.replace(/\r?\n/g, '\r\n')}`);
    expect((await parseNotificationEmail(armoredMail, receiver().context)).message).toEqual(push);
  });

  it('keeps everything but delivery data out of the outer header section', async () => {
    const push = message({ topic: 'secret-topic', urgency: 'high' });
    const { raw, messageId } = await build({ includeSenderKey: true, push });
    const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
    expect(head.split('\r\n').filter((line) => !line.startsWith(' ')).map((line) => line.slice(0, line.indexOf(':')))).toEqual([
      'From',
      'To',
      'Subject',
      'Date',
      'Message-ID',
      'MIME-Version',
      EMAIL_NOTIFY_MARKER_HEADER,
      'Content-Type',
    ]);
    expect(head).toContain('Subject: [...]\r\n');
    expect(head).toContain(`Message-ID: ${messageId}\r\n`);
    expect(head).toContain(`${EMAIL_NOTIFY_MARKER_HEADER}: 1; r=Hq3\r\n`);
    for (const secret of [registrationId, push.id, 'secret-topic', 'high', 'Autocrypt', 'keydata']) expect(raw).not.toContain(secret);
    for (const line of raw.split('\r\n')) {
      expect(line.length).toBeLessThanOrEqual(78);
      expect(/^[\x20-\x7e]*$/.test(line)).toBe(true);
    }
    expect(raw.endsWith('--\r\n')).toBe(true);
  });

  it('isNotificationEmail looks at the header section only', async () => {
    const { raw } = await build();
    expect(isNotificationEmail(raw)).toBe(true);
    expect(isNotificationEmail(new TextEncoder().encode(raw))).toBe(true);
    expect(isNotificationEmail('From: a@b.example\r\nfosspush-notify : 1\r\n\r\n')).toBe(true);
    expect(isNotificationEmail('From: a@b.example\r\nSubject: Fosspush-Notify: 1\r\n\r\n')).toBe(false);
    expect(isNotificationEmail('From: a@b.example\r\n\r\nFosspush-Notify: 1\r\n')).toBe(false);
    expect(isNotificationEmail('')).toBe(false);
  });

  describe('rejections, none of which changes receiver state', () => {
    it('NOT_A_NOTIFICATION: ordinary mail', async () => {
      const { context, pins, seen } = receiver();
      expect((await rejection('From: bob@example.org\r\nSubject: hi\r\n\r\nHello!\r\n', context)).code).toBe('NOT_A_NOTIFICATION');
      expect(pins.size + seen.size).toBe(0);
    });

    it('PAYLOAD_TOO_LARGE: a mail over 64 KiB, refused before parsing', async () => {
      const { raw } = await build();
      const huge = raw.replace('MIME-Version: 1.0\r\n', `X-Pad: ${'x'.repeat(EMAIL_NOTIFY_LIMITS.maxEmailBytes)}\r\nMIME-Version: 1.0\r\n`);
      expect((await rejection(huge, receiver().context)).code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('MALFORMED_EMAIL: broken structure, unknown version, two markers, bad base64', async () => {
      const { raw } = await build();
      const { context } = receiver();
      const cases = [
        raw.replace('multipart/encrypted', 'multipart/mixed'),
        raw.replace('protocol="application/pgp-encrypted"', 'protocol="application/pkcs7-mime"'),
        raw.replace(/--fp[^\r]*--\r\n$/, ''),
        raw.replace('\r\nVersion: 1\r\n', '\r\nVersion: 2\r\n'),
        raw.replace('Content-Type: application/octet-stream', 'Content-Type: text/plain'),
        raw.replace(`${EMAIL_NOTIFY_MARKER_HEADER}: 1`, `${EMAIL_NOTIFY_MARKER_HEADER}: 1\r\n${EMAIL_NOTIFY_MARKER_HEADER}: 1`),
        raw.replace(`${EMAIL_NOTIFY_MARKER_HEADER}: 1; r=Hq3`, `${EMAIL_NOTIFY_MARKER_HEADER}: 1; r=<bad>`),
        raw.replace(/(Content-Transfer-Encoding: base64\r\n\r\n)(.)/, '$1*'),
        raw.replace('Content-Transfer-Encoding: base64', 'Content-Transfer-Encoding: quoted-printable'),
      ];
      for (const [index, mail] of cases.entries()) expect((await rejection(mail, context)).code, `case ${index}`).toBe('MALFORMED_EMAIL');
      const future = await rejection(raw.replace(`${EMAIL_NOTIFY_MARKER_HEADER}: 1`, `${EMAIL_NOTIFY_MARKER_HEADER}: 2`), context);
      expect(future).toMatchObject({ code: 'MALFORMED_EMAIL', details: { reason: 'unsupported-version' } });
    });

    it('MALFORMED_EMAIL: a well-signed payload that is not the spec structure', async () => {
      const { context, pins, seen } = receiver();
      pins.set(registrationId, sender.publicKey);
      const encrypted = await encryptAndSign({
        data: new TextEncoder().encode('Content-Type: text/plain\r\n\r\nhello'),
        encryptionKeys: [device.publicKey],
        signingKey: sender.secretKey,
        format: 'binary',
        runtime,
      });
      expect((await rejection(rewrap((await build()).raw, encrypted), context)).code).toBe('MALFORMED_EMAIL');
      expect(seen.size).toBe(0);
    });

    it('DECRYPT_FAILED: encrypted to another device (flagged so a shared mailbox keeps it), or altered', async () => {
      const { raw } = await build({ includeSenderKey: true });
      const other = receiver(() => stranger);
      expect(await rejection(raw, other.context)).toMatchObject({ code: 'DECRYPT_FAILED', details: { reason: 'other-recipient' } });
      const lines = raw.split('\r\n');
      const target = lines.indexOf('Content-Transfer-Encoding: base64') + 8;
      const line = lines[target] as string;
      lines[target] = (line.startsWith('A') ? 'B' : 'A') + line.slice(1);
      const mine = receiver();
      expect((await rejection(lines.join('\r\n'), mine.context)).code).toBe('DECRYPT_FAILED');
      expect(other.pins.size + mine.pins.size + mine.seen.size).toBe(0);
    });

    it('UNSIGNED: an encrypted but unsigned notification, even one offering a key', async () => {
      const data = formatCryptographicPayload({ registrationId, message: message() });
      const unsigned = await openpgp.encrypt({
        message: await openpgp.createMessage({ binary: data }),
        encryptionKeys: await openpgp.readKey({ armoredKey: device.publicKey }),
        format: 'binary',
      });
      const { context, pins, seen } = receiver();
      pins.set(registrationId, sender.publicKey);
      expect((await rejection(rewrap((await build()).raw, unsigned), context)).code).toBe('UNSIGNED');
      expect(seen.size).toBe(0);
    });

    it('UNKNOWN_SENDER: a compact notification before any hello', async () => {
      const { context, pins, seen } = receiver();
      expect(await rejection((await build()).raw, context)).toMatchObject({ code: 'UNKNOWN_SENDER', details: { registrationId } });
      expect(pins.size + seen.size).toBe(0);
    });

    it('BAD_SIGNATURE: a forger signing with its own key, with or without offering it', async () => {
      const { context, pins, seen } = receiver();
      await parseNotificationEmail((await build({ includeSenderKey: true })).raw, context);
      const pinned = pins.get(registrationId);
      const forgedHello = await buildNotificationEmail({ token, message: message(), sender: { ...stranger, address: sender.address }, includeSenderKey: true, runtime });
      expect((await rejection(forgedHello.raw, context)).code).toBe('BAD_SIGNATURE');
      const forged = await buildNotificationEmail({ token, message: message(), sender: { ...stranger, address: sender.address }, includeSenderKey: false, runtime });
      expect((await rejection(forged.raw, context)).code).toBe('BAD_SIGNATURE');
      // A hello whose carried key does not match its signature.
      const mismatched = await buildNotificationEmail({ token, message: message(), sender: { ...stranger, publicKey: sender.publicKey }, includeSenderKey: true, runtime });
      const fresh = receiver();
      expect((await rejection(mismatched.raw, fresh.context)).code).toBe('BAD_SIGNATURE');
      expect(pins.get(registrationId)).toBe(pinned);
      expect(seen.size).toBe(1);
      expect(fresh.pins.size + fresh.seen.size).toBe(0);
    });

    it('EXPIRED: after sent + ttl + the clock skew allowance, or dated too far ahead', async () => {
      const { context, pins } = receiver();
      const { raw } = await build({ includeSenderKey: true, push: message({ ttlSeconds: 60 }) });
      clock.advance((60 + EMAIL_NOTIFY_LIMITS.clockSkewSeconds) * 1000 + 1);
      expect((await rejection(raw, context)).code).toBe('EXPIRED');
      expect(pins.size).toBe(0);
      const ahead = await build({ includeSenderKey: true, push: message({ sentAt: clock.now() + EMAIL_NOTIFY_LIMITS.clockSkewSeconds * 1000 + 1 }) });
      expect((await rejection(ahead.raw, context)).code).toBe('EXPIRED');
      expect(pins.size).toBe(0);
    });

    it('REPLAYED: the same notification again, also after a resend with a new Message-ID and boundary', async () => {
      const { context } = receiver();
      const push = message();
      const first = await build({ includeSenderKey: true, push });
      await parseNotificationEmail(first.raw, context);
      expect(await rejection(first.raw, context)).toMatchObject({ code: 'REPLAYED', details: { registrationId, messageId: push.id } });
      const resent = await build({ includeSenderKey: true, push });
      expect(resent.messageId).not.toBe(first.messageId);
      expect((await rejection(resent.raw, context)).code).toBe('REPLAYED');
    });
  });

  it('the builder refuses tokens and senders it cannot mail', async () => {
    const codeOf = (promise: Promise<unknown>) => promise.then(() => 'none', (e: { code: string }) => e.code);
    expect(await codeOf(buildNotificationEmail({ token: { ...token, channel: 'webpush', endpoint: 'https://push.example/x' }, message: message(), sender, includeSenderKey: false }))).toBe('INVALID_TOKEN');
    expect(await codeOf(buildNotificationEmail({ token, message: message(), sender: { ...sender, address: 'a@b.example\r\nBcc: x@y.example' }, includeSenderKey: false }))).toBe('INVALID_REQUEST');
    expect(await codeOf(buildNotificationEmail({ token, message: { ...message(), payload: new Uint8Array(4097) }, sender, includeSenderKey: false }))).toBe('PAYLOAD_TOO_LARGE');
    expect(await codeOf(buildNotificationEmail({ token, message: message(), sender: { ...sender, secretKey: sender.publicKey }, includeSenderKey: false }))).toBe('INVALID_KEY');
  });
});

function expiresAtWithSkew(push: PushMessage): number {
  return push.sentAt + push.ttlSeconds * 1000 + EMAIL_NOTIFY_LIMITS.clockSkewSeconds * 1000;
}
