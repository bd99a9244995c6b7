import { createMemoryChannelState } from '@fosspush/core';
import { type MailRigInfo, monotonicMs, startIdleFloor } from '@fosspush/testing';
import { createImapChannel, type ImapChannel } from '../src/index.js';
import { type AppRegistration, AppServer, channelOptions, count, inspector, sleep } from '../test/fixtures.js';

async function sendAll(app: AppServer, registration: AppRegistration, mails: readonly string[], parallel = 10) {
  const pending = [...mails];
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let mail = pending.shift(); mail !== undefined; mail = pending.shift()) await app.send(registration, mail);
    }),
  );
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('the burst did not drain in time');
    await sleep(5);
  }
}

const tally = (sent: readonly string[], received: readonly string[]) => ({
  lost: sent.filter((id) => !received.includes(id)).length,
  duplicated: received.length - new Set(received).size,
});

/**
 * A burst of `size` notifications submitted at once (10 SMTP connections) while the channel
 * runs: from the first send until the registration has them all, against the floor client
 * being told of the last one. Then as many piled up while the channel was closed, drained
 * once it connects (the catch-up after downtime).
 */
export async function measureBurst(info: MailRigInfo, user: string, size: number) {
  const app = await AppServer.create(info);
  const state = createMemoryChannelState();
  const received: string[] = [];
  const open = async (): Promise<ImapChannel> => {
    const channel = createImapChannel(channelOptions(info, user, { state }));
    channel.on('message', (event) => {
      received.push(event.message.id);
      void channel.ack(event.registrationId, event.message.id);
    });
    await channel.connect();
    return channel;
  };
  const build = async () => {
    const built = [];
    for (let i = 0; i < size; i++) built.push(await app.notification(registration, { text: `burst ${i}` }));
    return built;
  };

  let channel = await open();
  const registration = await app.register(await channel.subscribe({}));
  await app.notify(registration, { hello: true });
  await until(() => received.length === 1);
  received.length = 0;

  const live = await build();
  const floor = await startIdleFloor(info, user, info.folder);
  const start = monotonicMs();
  await sendAll(
    app,
    registration,
    live.map((mail) => mail.raw),
  );
  await until(() => received.length >= size && floor.total >= size);
  const oursMs = monotonicMs() - start;
  const floorMs = (floor.arrivals.find((arrival) => arrival.total >= size)?.at ?? Number.NaN) - start;
  await floor.stop();
  const liveResult = tally(
    live.map((mail) => mail.message.id),
    received.splice(0),
  );

  await channel.close();
  const offline = await build();
  await sendAll(
    app,
    registration,
    offline.map((mail) => mail.raw),
  );
  const client = await inspector(info, user);
  await until(async () => (await count(client, info.folder)) >= size);
  const catchUpStart = performance.now();
  channel = await open();
  await until(() => received.length >= size);
  const catchUpMs = performance.now() - catchUpStart;
  const offlineResult = tally(
    offline.map((mail) => mail.message.id),
    received.splice(0),
  );
  await until(async () => (await count(client, info.folder)) === 0);
  await client.logout();
  await channel.close();
  await app.close();
  return {
    oursPerSecond: size / (oursMs / 1000),
    floorPerSecond: size / (floorMs / 1000),
    catchUpPerSecond: size / (catchUpMs / 1000),
    lost: liveResult.lost + offlineResult.lost,
    duplicated: liveResult.duplicated + offlineResult.duplicated,
  };
}
