import {
  type Channel,
  type ChannelMessageEvent,
  decryptWebPush,
  type EmailIdentity,
  encodeToken,
  type FosspushError,
  generateEmailIdentity,
  generateSubscriptionKeys,
  type SubscriptionKeys,
  utf8Decode,
} from '@fosspush/core';
import { createImapChannel, createSmtpTransport } from '@fosspush/imap';
import { type MailRig, startMailRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getMessaging } from '../src/fcm/messaging.js';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';

/**
 * The email route end to end: the sender submits to Postfix, Dovecot files the mail with the
 * rig's Sieve rule, and the device's IMAP channel (IDLE) verifies, decrypts the envelope and
 * hands on the Web Push message, which the app's keys decrypt.
 */
describe('email route through the real mail rig', { timeout: 60_000 }, () => {
  let rig: MailRig;
  let device: Channel;
  let sender: Sender;
  let identity: EmailIdentity;
  const received: ChannelMessageEvent[] = [];

  beforeAll(async () => {
    rig = await startMailRig({ users: ['alice'] });
    const { alice } = rig.users;
    if (!alice) throw new Error('no rig user');
    device = createImapChannel({
      address: alice.address,
      imap: { host: rig.host, port: rig.ports.imap, secure: false, auth: { user: alice.name, pass: alice.password } },
    });
    device.on('message', (event) => {
      received.push(event);
      void device.ack(event.registrationId, event.message.id);
    });
    await device.connect();
    identity = await generateEmailIdentity('push@app.example');
    sender = new Sender({ email: { identity, smtp: createSmtpTransport({ host: rig.host, port: rig.ports.smtp }) } });
  }, 60_000);
  afterAll(async () => {
    await sender?.close();
    await device?.close();
    await rig?.stop();
  });

  async function register(): Promise<{ token: string; registrationId: string; keys: SubscriptionKeys }> {
    const subscription = await device.subscribe({});
    const keys = await generateSubscriptionKeys();
    const token = encodeToken({ channel: 'email', endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras });
    return { token, registrationId: subscription.registrationId, keys };
  }

  async function arrivals(registrationId: string, count: number): Promise<ChannelMessageEvent[]> {
    const mine = () => received.filter((event) => event.registrationId === registrationId);
    await vi.waitFor(() => expect(mine()).toHaveLength(count), { timeout: 20_000 });
    return mine();
  }

  const plaintextOf = async (event: ChannelMessageEvent, keys: SubscriptionKeys) => JSON.parse(utf8Decode(await decryptWebPush(event.message.payload, keys)));

  it('delivers the handshake mail, then compact ones, and the app decrypts them', async () => {
    const registration = await register();
    const first = await sender.send(new Message({ data: { n: '1' }, collapseKey: 'inbox', timeToLive: 600 }), registration.token);
    const second = await sender.send(new Message({ data: { n: '2' }, notification: { title: 'Hi' } }), [registration.token]);
    expect([first.success, second.success]).toEqual([1, 1]);

    const events = await arrivals(registration.registrationId, 2);
    const byId = new Map(events.map((event) => [event.message.id, event]));
    const firstEvent = byId.get((first.results[0] as { message_id: string }).message_id);
    const secondEvent = byId.get((second.results[0] as { message_id: string }).message_id);
    if (!firstEvent || !secondEvent) throw new Error(`the ids did not match: ${[...byId.keys()].join(', ')}`);
    expect(await plaintextOf(firstEvent, registration.keys)).toEqual({ data: { n: '1' } });
    expect(firstEvent.message).toMatchObject({ topic: 'inbox', ttlSeconds: 600 });
    expect(await plaintextOf(secondEvent, registration.keys)).toEqual({ data: { n: '2' }, notification: { title: 'Hi' } });
  });

  it('delivers through the firebase-admin shape with the same identity', async () => {
    const registration = await register();
    const messaging = getMessaging({ email: { identity, smtp: createSmtpTransport({ host: rig.host, port: rig.ports.smtp }) } });
    const id = await messaging.send({ token: registration.token, data: { via: 'fcm' } });
    const [event] = await arrivals(registration.registrationId, 1);
    expect(event?.message.id).toBe(id);
    if (event) expect(await plaintextOf(event, registration.keys)).toEqual({ data: { via: 'fcm' } });
    await messaging.close();
  });

  it('is refused by the device when another app server signs for a registration', async () => {
    const registration = await register();
    expect((await sender.send(new Message({ data: { n: '1' } }), registration.token)).success).toBe(1);
    await arrivals(registration.registrationId, 1);
    const errors: FosspushError[] = [];
    device.on('error', (error) => errors.push(error));
    const impostor = new Sender({ email: { identity: await generateEmailIdentity('push@app.example'), smtp: createSmtpTransport({ host: rig.host, port: rig.ports.smtp }) } });
    // SMTP accepts it: only the device can tell the signature is not the pinned key's.
    expect((await impostor.send(new Message({ data: { n: 'forged' } }), registration.token)).success).toBe(1);
    await vi.waitFor(() => expect(errors.map((error) => error.code)).toContain('BAD_SIGNATURE'), { timeout: 20_000 });
    expect(received.filter((event) => event.registrationId === registration.registrationId)).toHaveLength(1);
    await impostor.close();
  });
});
