import { createMemoryChannelState } from '@fosspush/core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppServer, channelOptions, count, inspector, type OpenChannel, openChannel, quarantineOf, rigControl, rigInfo, SERVERS } from './helpers.js';

const BURST = 500;

describe.each(SERVERS)('a burst of notifications on %s', (server) => {
  const info = rigInfo(server);
  let app: AppServer;
  let open: OpenChannel;

  beforeAll(async () => {
    await rigControl(info).clear('burst');
    app = await AppServer.create(info);
    open = await openChannel(channelOptions(info, 'burst', { state: createMemoryChannelState() }));
  });

  afterAll(async () => {
    await open.close();
    await app.close();
  });

  it(`delivers each of ${BURST} exactly once and leaves the folder empty`, { timeout: 180_000 }, async () => {
    const registration = await app.register(await open.channel.subscribe({}));
    await app.notify(registration, { hello: true });
    await vi.waitFor(() => expect(open.messages).toHaveLength(1), { timeout: 20_000 });

    const mails = [];
    for (let i = 0; i < BURST; i++) mails.push(await app.notification(registration, { text: `burst ${i}` }));
    const pending = [...mails];
    const senders = Array.from({ length: 10 }, async () => {
      for (let mail = pending.shift(); mail !== undefined; mail = pending.shift()) await app.send(registration, mail.raw);
    });
    await Promise.all(senders);

    await vi.waitFor(() => expect(open.messages.length).toBeGreaterThanOrEqual(BURST + 1), { timeout: 120_000, interval: 200 });
    const received = open.messages.slice(1).map((event) => event.message.id);
    expect(new Set(received).size).toBe(received.length);
    expect(received.sort()).toEqual(mails.map((mail) => mail.message.id).sort());

    const client = await inspector(info, 'burst');
    try {
      await vi.waitFor(async () => expect(await count(client, info.folder)).toBe(0), { timeout: 60_000, interval: 200 });
      expect(await count(client, quarantineOf(info))).toBe(0);
    } finally {
      await client.logout();
    }
    expect(open.errors).toEqual([]);
    expect(open.messages).toHaveLength(BURST + 1);
  });
});
