import {
  decryptWebPush,
  emailTokenExtras,
  encodeToken,
  generateEmailIdentity,
  generateSubscriptionKeys,
  parseNotificationEmail,
  type ReceiverContext,
  utf8Decode,
} from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { Message } from '../gcm/message.js';
import { Sender } from '../gcm/sender.js';
import type { MailSubmitter } from './email.js';

/** A device's email registration: its identity, Web Push keys and token. */
async function emailRegistration(address: string, registrationId: string) {
  const device = await generateEmailIdentity(address);
  const keys = await generateSubscriptionKeys();
  const token = encodeToken({
    channel: 'email',
    endpoint: `mailto:${address}`,
    p256dh: keys.p256dh,
    auth: keys.auth,
    extras: emailTokenExtras({ deviceKey: device.publicKey, registrationId }),
  });
  return { device, keys, token };
}

/** The email route up to SMTP: the mail it submits is opened with the receiver's half of core. */
describe('email route', () => {
  it('sends signed, encrypted notifications with the handshake first, compact after', async () => {
    const { device, keys, token } = await emailRegistration('alice@example.test', 'reg-1');
    const app = await generateEmailIdentity('push@app.example');
    const submitted: { raw: string; from: string; to: string }[] = [];
    const smtp: MailSubmitter = {
      async send(mail) {
        submitted.push(mail);
      },
    };
    const sender = new Sender({ email: { identity: app, smtp } });

    const first = await sender.send(new Message({ data: { n: '1' }, collapseKey: 'inbox' }), token);
    const second = await sender.send(new Message({ data: { n: '2' } }), [token]);
    const dry = await sender.send(new Message({ data: { n: '3' }, dryRun: true }), token);
    expect([first, second, dry].map((response) => response.success)).toEqual([1, 1, 1]);
    expect(submitted.map(({ from, to }) => [from, to])).toEqual([
      ['push@app.example', 'alice@example.test'],
      ['push@app.example', 'alice@example.test'],
    ]);

    const pins = new Map<string, string>();
    const context: ReceiverContext = {
      deviceIdentity: device,
      pinnedSenderKey: async (registrationId) => pins.get(registrationId),
      pinSenderKey: async (registrationId, key) => {
        pins.set(registrationId, key);
      },
      markSeen: async () => true,
    };
    const received = [];
    for (const mail of submitted) received.push(await parseNotificationEmail(mail.raw, context));
    expect(received.map((entry) => entry.pinnedNow)).toEqual([true, false]);
    expect(received.map((entry) => entry.registrationId)).toEqual(['reg-1', 'reg-1']);
    expect(received[0]?.message.topic).toBe('inbox');
    expect(received.map((entry) => entry.message.id)).toEqual([first.results[0], second.results[0]].map((r) => (r && 'message_id' in r ? r.message_id : '')));
    const plaintexts = await Promise.all(received.map(async (entry) => JSON.parse(utf8Decode(await decryptWebPush(entry.message.payload, keys)))));
    expect(plaintexts).toEqual([{ data: { n: '1' } }, { data: { n: '2' } }]);
    // The compact mail leaves the sender's key out.
    expect(submitted[1]?.raw.length).toBeLessThan(submitted[0]?.raw.length ?? 0);
  }, 30_000);

  it('fails an email token when no email route is set up, without touching other tokens', async () => {
    const { token } = await emailRegistration('bob@example.test', 'reg-2');
    const response = await new Sender().send(new Message(), token);
    expect(response.results).toEqual([{ error: 'InternalServerError' }]);
  }, 30_000);
});
