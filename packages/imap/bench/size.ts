import { buildNotificationEmail, createPushMessage, emailTokenExtras, encryptWebPush, generateEmailIdentity, generateSubscriptionKeys, validateToken } from '@fosspush/core';
import type { MailRigInfo } from '@fosspush/testing';
import { createSmtpTransport } from '../src/index.js';
import { inspector, rigUser, sleep } from '../test/fixtures.js';

/**
 * Bytes per notification as the IMAP server stores it (RFC822.SIZE, Postfix's and Dovecot's
 * trace fields included), for a 100-byte push message: the compact notification and the hello,
 * against the floor: the same Web Push body in the plainest mail that can carry it (the same
 * header fields, base64, no OpenPGP). The user has the Sieve rule, so notifications land in the
 * folder and the plain mail in INBOX.
 */
export async function measureSize(info: MailRigInfo, user: string) {
  const { address } = rigUser(info, user);
  const sender = await generateEmailIdentity('push@app.example');
  const device = await generateEmailIdentity(address);
  const keys = await generateSubscriptionKeys();
  const token = validateToken({
    channel: 'email',
    endpoint: `mailto:${address}`,
    p256dh: keys.p256dh,
    auth: keys.auth,
    extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'Yp4Jd0tW2c9s1LmQ8xZbVg' }),
  });
  const body = await encryptWebPush(new Uint8Array(100).fill(0x61), keys);
  const message = createPushMessage({ payload: body, ttlSeconds: 86_400 });
  const compact = await buildNotificationEmail({ token, message, sender, includeSenderKey: false });
  const hello = await buildNotificationEmail({ token, message, sender, includeSenderKey: true });
  const plain = [
    `From: ${sender.address}`,
    `To: ${address}`,
    'Subject: [...]',
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${message.id}@app.example>`,
    'MIME-Version: 1.0',
    'Content-Type: application/octet-stream',
    'Content-Transfer-Encoding: base64',
    '',
    ...(Buffer.from(body).toString('base64').match(/.{1,76}/g) ?? []),
    '',
  ].join('\r\n');

  const smtp = createSmtpTransport({ host: info.host, port: info.ports.smtp });
  for (const raw of [compact.raw, hello.raw, plain]) await smtp.send({ raw, from: sender.address, to: address });
  await smtp.close();

  const client = await inspector(info, user);
  const sizes = async (path: string) => {
    await client.mailboxOpen(path, { readOnly: true });
    if (client.mailbox === false || client.mailbox.exists === 0) return [];
    return (await client.fetchAll('1:*', { size: true })).map((entry) => entry.size ?? 0);
  };
  let folder: number[] = [];
  let inbox: number[] = [];
  for (let tries = 0; tries < 100 && (folder.length < 2 || inbox.length < 1); tries++) {
    await sleep(100);
    folder = await sizes(info.folder).catch(() => []);
    inbox = await sizes('INBOX');
  }
  await client.logout();
  const [compactStored = Number.NaN, helloStored = Number.NaN] = [...folder].sort((a, b) => a - b);
  return { compactSent: compact.raw.length, compactStored, helloStored, plainStored: inbox[0] ?? Number.NaN, webPushBytes: body.length };
}
