import { createMemoryChannelState, EMAIL_NOTIFY_MARKER_HEADER, generateEmailIdentity } from '@fosspush/core';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppServer, channelOptions, count, inspector, type OpenChannel, openChannel, quarantineOf, rigControl, rigInfo, rigUser, SERVERS, unsignedNotification } from './helpers.js';

const WAIT = { timeout: 20_000, interval: 50 };
const LAST_WEEK = Date.now() - 7 * 24 * 3_600_000;

describe.each(
  SERVERS.flatMap((server) => [
    { server, user: 'forged-sieve', setup: 'filed by Sieve' },
    { server, user: 'forged-plain', setup: 'arriving in INBOX' },
  ]),
)('forged notifications on $server, $setup', ({ server, user }) => {
  const info = rigInfo(server);
  const { address } = rigUser(info, user);
  let app: AppServer;
  let client: ImapFlow;
  let open: OpenChannel;

  beforeAll(async () => {
    await rigControl(info).clear(user);
    app = await AppServer.create(info);
    client = await inspector(info, user);
    // No grace: a compact notification without a pinned key is rejected at once.
    open = await openChannel(channelOptions(info, user, { state: createMemoryChannelState(), unknownSenderGraceMs: 0 }));
  });

  afterAll(async () => {
    await open.close();
    await app.close();
    await client.logout();
  });

  it('never reach a registration: they are reported, quarantined, and the channel keeps delivering', async () => {
    const registration = await app.register(await open.channel.subscribe({}));
    const hello = await app.notify(registration, { hello: true });
    await vi.waitFor(() => expect(open.messages).toHaveLength(1), WAIT);
    const compact = await app.notification(registration);
    await app.send(registration, compact.raw);
    await vi.waitFor(() => expect(open.messages).toHaveLength(2), WAIT);
    await vi.waitFor(async () => expect(await count(client, info.folder)).toBe(0), WAIT);

    const forger = await generateEmailIdentity('push@app.example');
    const unpinned = await app.register(await open.channel.subscribe({}));
    const forgeries = {
      UNSIGNED: await unsignedNotification(registration, (await app.notification(registration)).raw),
      BAD_SIGNATURE: (await app.notification(registration, { identity: forger })).raw,
      'BAD_SIGNATURE (a hello with the forger key)': (await app.notification(registration, { identity: forger, hello: true })).raw,
      REPLAYED: compact.raw,
      EXPIRED: (await app.notification(registration, { sentAt: LAST_WEEK, ttlSeconds: 60 })).raw,
      MALFORMED_EMAIL: `From: push@app.example\r\nTo: ${address}\r\nSubject: hi\r\n${EMAIL_NOTIFY_MARKER_HEADER}: 1\r\n\r\nnot a notification\r\n`,
      UNKNOWN_SENDER: (await app.notification(unpinned)).raw,
    };
    for (const raw of Object.values(forgeries)) await app.send(registration, raw);

    await vi.waitFor(() => expect(open.errors).toHaveLength(7), WAIT);
    expect(open.errors.map((error) => error.code).sort()).toEqual(
      ['UNSIGNED', 'BAD_SIGNATURE', 'BAD_SIGNATURE', 'REPLAYED', 'EXPIRED', 'MALFORMED_EMAIL', 'UNKNOWN_SENDER'].sort(),
    );
    for (const error of open.errors) expect(error.details).toMatchObject({ uid: expect.any(Number), uidValidity: expect.any(String) });
    expect(open.messages.map((event) => event.message.id)).toEqual([hello.id, compact.message.id]);

    // Kept for the user to look at, out of the way; nothing left in the folder or in INBOX.
    await vi.waitFor(async () => expect(await count(client, quarantineOf(info))).toBe(7), WAIT);
    expect(await count(client, info.folder)).toBe(0);
    expect(await count(client, 'INBOX')).toBe(0);

    const after = await app.notify(registration, { text: 'still here' });
    await vi.waitFor(() => expect(open.messages.map((event) => event.message.id)).toContain(after.id), WAIT);
    expect(open.channel.state).toBe('connected');
    expect(open.errors).toHaveLength(7);
  });
});
