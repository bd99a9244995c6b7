import { createMemoryChannelState, decryptWebPush, EMAIL_NOTIFY_MARKER_HEADER } from '@fosspush/core';
import type { MailRigInfo } from '@fosspush/testing';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  AppServer,
  type AppRegistration,
  channelOptions,
  count,
  inspector,
  type MailState,
  type OpenChannel,
  openChannel,
  quarantineOf,
  type RegularKind,
  rigControl,
  rigInfo,
  rigUser,
  SERVERS,
  sendRegularMail,
  sleep,
  snapshot,
} from './helpers.js';

const WAIT = { timeout: 20_000, interval: 50 };
const KINDS: RegularKind[] = ['text', 'html', 'attachment'];

/** What the user's INBOX holds before the channel first connects: mail in every state. */
async function fillInbox(info: MailRigInfo, client: ImapFlow, address: string) {
  for (const kind of ['text', 'html', 'attachment'] as const) await sendRegularMail(info, address, kind, `before ${kind}`);
  await vi.waitFor(async () => expect(await count(client, 'INBOX')).toBe(3), WAIT);
  const raw = (subject: string) => `From: carol@example.org\r\nTo: ${address}\r\nSubject: ${subject}\r\n\r\nbody\r\n`;
  await client.append('INBOX', raw('flagged and read'), ['\\Flagged', '\\Seen']);
  await client.append('INBOX', raw('answered'), ['\\Answered']);
  // A plain EXPUNGE anywhere in INBOX would take this one with it.
  await client.append('INBOX', raw('marked deleted, not expunged'), ['\\Deleted']);
  // Mail the user filed into the notification folder themselves, larger than any notification.
  await client.mailboxCreate(info.folder);
  await client.append(info.folder, raw(`filed here by hand ${'x'.repeat(100_000)}`), ['\\Flagged']);
}

const withoutRecent = (state: Map<number, MailState> | undefined) =>
  new Map([...(state ?? [])].map(([uid, mail]) => [uid, { ...mail, flags: mail.flags.filter((flag) => flag !== '\\Recent') }]));

const CASES = [
  { user: 'deliver-sieve', mode: 'notify', setup: 'with the Sieve rule' },
  { user: 'deliver-plain', mode: 'notify', setup: 'without Sieve, INBOX watched through NOTIFY' },
  { user: 'deliver-conn', mode: 'connection', setup: 'without Sieve, INBOX watched by a second connection' },
] as const;

// Cyrus has no NOTIFY: the channel watches INBOX with a second connection there, so its
// "NOTIFY" cases take that path (and the forced one would only repeat it).
const RUNS = SERVERS.flatMap((server) =>
  CASES.filter((run) => server === 'dovecot' || run.user !== 'deliver-conn').map((run) => ({
    ...run,
    server,
    mode: server === 'cyrus' ? ('connection' as const) : run.mode,
    setup: server === 'cyrus' ? run.setup.replace('through NOTIFY', 'by a second connection (no NOTIFY)') : run.setup,
  })),
);

describe.each(RUNS)('email channel on $server $setup', ({ server, user, mode }) => {
  const info = rigInfo(server);
  const { address } = rigUser(info, user);
  const state = createMemoryChannelState();
  let app: AppServer;
  let client: ImapFlow;
  let open: OpenChannel | undefined;
  let registration: AppRegistration;
  let registrationId: string;
  let filedByHand: Map<number, MailState>;
  /** The notification folder holds nothing but the user's own mail again: every notification was expunged. */
  const folderDrained = async () => expect(withoutRecent(await snapshot(client, info.folder))).toEqual(filedByHand);

  beforeAll(async () => {
    await rigControl(info).clear(user);
    app = await AppServer.create(info);
    client = await inspector(info, user);
    await fillInbox(info, client, address);
  });

  afterAll(async () => {
    await open?.close();
    await app.close();
    await client.logout();
  });

  it('delivers notifications, and leaves regular mail in INBOX exactly as it was', async () => {
    const before = withoutRecent(await snapshot(client, 'INBOX'));
    expect(before.size).toBe(6);
    filedByHand = withoutRecent(await snapshot(client, info.folder));
    expect(filedByHand.size).toBe(1);
    open = await openChannel(channelOptions(info, user, { state, inboxWatch: user === 'deliver-conn' ? 'connection' : 'auto' }));
    expect(open.channel.inboxWatch).toBe(mode);
    // The folder as the server names it: what a Sieve rule must file into.
    expect(open.channel.folders?.notify).toBe(info.folderPath);
    const subscription = await open.channel.subscribe({});
    registrationId = subscription.registrationId;
    expect(subscription.endpoint).toBe(`mailto:${address}`);
    registration = await app.register(subscription);

    // The hello goes first and alone: a compact notification that overtook it in the mail
    // system would find no pinned key.
    const texts = new Map([[(await app.notify(registration, { hello: true, text: 'n0' })).id, 'n0']]);
    const channel = open;
    await vi.waitFor(() => expect(channel.messages).toHaveLength(1), WAIT);
    for (let i = 1; i <= 5; i++) {
      await sendRegularMail(info, address, KINDS[i % KINDS.length] as RegularKind, `during ${i}`);
      texts.set((await app.notify(registration, { text: `n${i}` })).id, `n${i}`);
    }

    // Postfix delivers in parallel, so the order of arrival is not the order of sending.
    await vi.waitFor(() => expect(channel.messages).toHaveLength(6), WAIT);
    expect(channel.messages.map((event) => event.message.id).sort()).toEqual([...texts.keys()].sort());
    for (const event of channel.messages) {
      expect(event.registrationId).toBe(registrationId);
      const plaintext = await decryptWebPush(event.message.payload, registration.keys);
      expect(new TextDecoder().decode(plaintext)).toBe(texts.get(event.message.id));
    }

    // Acked notifications are expunged; nothing was rejected.
    await vi.waitFor(folderDrained, WAIT);
    expect(await count(client, quarantineOf(info))).toBe(0);
    expect(channel.errors).toEqual([]);

    const after = withoutRecent(await snapshot(client, 'INBOX'));
    for (const [uid, mail] of before) expect(after.get(uid)).toEqual(mail);
    const arrived = [...after].filter(([uid]) => !before.has(uid)).map(([, mail]) => mail);
    expect(arrived.map((mail) => mail.subject).sort()).toEqual(['during 1', 'during 2', 'during 3', 'during 4', 'during 5']);
    // Never \Seen, never any flag: the channel does not touch mail it did not file.
    for (const mail of arrived) expect(mail.flags).toEqual([]);
    await client.mailboxOpen('INBOX', { readOnly: true });
    expect(await client.search({ header: { [EMAIL_NOTIFY_MARKER_HEADER]: true } }, { uid: true })).toEqual([]);
  });

  it('catches up after downtime: notifications sent while it was closed arrive once it is back, tokens unchanged', async () => {
    const first = open as OpenChannel;
    await first.close();
    const sent = [await app.notify(registration, { text: 'offline 1' }), await app.notify(registration, { text: 'offline 2' })];
    await sendRegularMail(info, address, 'text', 'offline regular');
    await vi.waitFor(async () => expect(await count(client, 'INBOX')).toBe(12 + (user === 'deliver-sieve' ? 0 : 2)), WAIT);

    // A fresh channel on the same state against an account whose folders exist (a daemon
    // restart): on Cyrus this used to fail at CREATE for good ("NO Mailbox already exists").
    open = await openChannel(channelOptions(info, user, { state, inboxWatch: user === 'deliver-conn' ? 'connection' : 'auto' }));
    expect(open.channel.state).toBe('connected');
    const again = await open.channel.subscribe({ registrationId });
    expect(again.extras).toEqual(registration.token.extras);
    const channel = open;
    await vi.waitFor(() => expect(channel.messages.map((event) => event.message.id).sort()).toEqual(sent.map((message) => message.id).sort()), WAIT);
    await vi.waitFor(folderDrained, WAIT);
    expect(await count(client, 'INBOX')).toBe(12);
    expect(channel.errors).toEqual([]);
  });

  it('holds a compact notification that overtook its hello until the hello has pinned the key', async () => {
    const channel = open as OpenChannel;
    const late = await app.register(await channel.channel.subscribe({}));
    const known = new Set(channel.messages.map((event) => event.message.id));
    const overtaking = await app.notify(late, { text: 'second' });
    await sleep(1_500);
    expect(channel.messages.filter((event) => !known.has(event.message.id))).toEqual([]);
    const hello = await app.notify(late, { hello: true, text: 'first' });
    await vi.waitFor(
      () => expect(channel.messages.filter((event) => !known.has(event.message.id)).map((event) => event.message.id).sort()).toEqual([hello.id, overtaking.id].sort()),
      WAIT,
    );
    await vi.waitFor(folderDrained, WAIT);
    expect(channel.errors).toEqual([]);
  });
});
