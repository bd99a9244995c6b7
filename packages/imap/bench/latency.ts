import { createMemoryChannelState } from '@fosspush/core';
import type { MailRigInfo } from '@fosspush/testing';
import { percentile } from '@fosspush/testing';
import { createImapChannel } from '../src/index.js';
import nodemailer from 'nodemailer';
import { AppServer, channelOptions, rigUser, sleep } from '../test/fixtures.js';
import { startFloor } from './floor.js';

const PAYLOAD = 'x'.repeat(100);

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

/**
 * SMTP send -> the registration's `message` event, for each of `count` notifications sent one
 * at a time, and the same mail's EXISTS at the floor client: each mail goes, in one SMTP
 * transaction, to the channel's user and to a twin user that only the floor client watches.
 * Dovecot's change notices are batched per mailbox (about 0.5 s after the first change), so a
 * floor on the channel's own mailbox would be hurried along by the channel's expunges.
 */
export async function measureLatency(info: MailRigInfo, user: string, twin: string, floorPath: string, count: number) {
  const app = await AppServer.create(info);
  const smtp = nodemailer.createTransport({ host: info.host, port: info.ports.smtp, secure: false, ignoreTLS: true, pool: true });
  const recipients = [rigUser(info, user).address, rigUser(info, twin).address];
  const channel = createImapChannel(channelOptions(info, user, { state: createMemoryChannelState() }));
  const arrived = new Map<string, number>();
  channel.on('message', (event) => {
    arrived.set(event.message.id, performance.now());
    void channel.ack(event.registrationId, event.message.id);
  });
  await channel.connect();
  const registration = await app.register(await channel.subscribe({}));
  const hello = await app.notify(registration, { hello: true, text: PAYLOAD });
  await until(() => arrived.has(hello.id), 10_000);
  const floor = await startFloor(info, twin, floorPath);

  const ours: number[] = [];
  const raw: number[] = [];
  let lost = 0;
  const warmup = 3;
  for (let i = 0; i < count + warmup; i++) {
    const { raw: mail, message } = await app.notification(registration, { text: PAYLOAD });
    // Both sides back in IDLE, the previous mail expunged.
    await sleep(250);
    await until(() => floor.idling, 2_000);
    const seen = floor.arrivals.length;
    const start = performance.now();
    // Alternating who comes first in the one LMTP transaction that delivers to both.
    await smtp.sendMail({ envelope: { from: app.identity.address, to: i % 2 === 0 ? recipients : [...recipients].reverse() }, raw: mail });
    const done = await until(() => arrived.has(message.id) && floor.arrivals.length > seen, 5_000);
    if (!done) {
      lost++;
      continue;
    }
    if (i < warmup) continue;
    ours.push((arrived.get(message.id) as number) - start);
    raw.push((floor.arrivals[seen] as { at: number }).at - start);
  }
  await floor.stop();
  await channel.close();
  await app.close();
  smtp.close();
  return {
    ours: { p50: percentile(ours, 50), p99: percentile(ours, 99) },
    floor: { p50: percentile(raw, 50), p99: percentile(raw, 99) },
    samples: ours.length,
    lost,
  };
}
