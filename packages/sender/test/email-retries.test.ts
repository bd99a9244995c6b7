import { type EmailIdentity, emailTokenExtras, encodeToken, generateEmailIdentity, generateSubscriptionKeys } from '@fosspush/core';
import { createSmtpTransport } from '@fosspush/imap';
import { type ScriptedSmtp, startScriptedSmtp } from '@fosspush/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import { recordingTimers } from './fake-transport.js';

/**
 * Retries of the email route happen in one layer, the send engine: a lasting 4xx costs
 * `retries + 1` submissions. Before, the SMTP transport retried each of the engine's attempts
 * twice more: 18 submissions with the default settings. Real SMTP sessions (a scripted server on
 * loopback), with timers that do not wait.
 */
describe('email route retries', () => {
  let identity: EmailIdentity;
  let token: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    identity = await generateEmailIdentity('push@app.example');
    const device = await generateEmailIdentity('alice@example.test');
    const keys = await generateSubscriptionKeys();
    const extras = emailTokenExtras({ deviceKey: device.publicKey, registrationId: 'reg-1' });
    token = encodeToken({ channel: 'email', endpoint: 'mailto:alice@example.test', p256dh: keys.p256dh, auth: keys.auth, extras });
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(rcptReplies: string[], retries?: number): Promise<{ smtp: ScriptedSmtp; sender: Sender; waits: number[] }> {
    const smtp = await startScriptedSmtp(rcptReplies);
    const timers = recordingTimers();
    const sender = new Sender({
      email: { identity, smtp: createSmtpTransport({ host: '127.0.0.1', port: smtp.port }) },
      runtime: { timers },
      retries,
    });
    cleanups.push(() => smtp.close(), () => sender.close());
    return { smtp, sender, waits: timers.waits };
  }

  const busy = (count: number) => Array.from({ length: count }, () => '450 4.2.1 mailbox busy');

  it('a lasting 4xx is submitted retries + 1 times, then Unavailable', async () => {
    const { smtp, sender, waits } = await setup(busy(50), 2);
    const response = await sender.send(new Message({ data: { n: '1' } }), token);
    expect(response.results).toEqual([{ error: 'Unavailable' }]);
    expect(smtp.submissions()).toBe(3);
    expect(waits).toHaveLength(2);
  });

  it('with the default settings one lasting 4xx costs 6 submissions, not 18', async () => {
    const { smtp, sender } = await setup(busy(50));
    expect((await sender.send(new Message(), token)).failure).toBe(1);
    expect(smtp.submissions()).toBe(6);
  });

  it('a transient refusal (4xx) is retried by the sender and the mail goes out', async () => {
    const { smtp, sender } = await setup(['451 4.3.0 try again later'], 2);
    expect((await sender.send(new Message({ data: { n: '1' } }), token)).success).toBe(1);
    expect(smtp.submissions()).toBe(2);
  });

  it('a permanent refusal (5xx) is submitted once', async () => {
    const { smtp, sender } = await setup(['550 5.1.1 no such user'], 5);
    const response = await sender.send(new Message(), token);
    expect(response.failure).toBe(1);
    expect(smtp.submissions()).toBe(1);
  });
});
