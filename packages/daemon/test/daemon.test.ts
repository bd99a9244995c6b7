import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToken, encryptWebPush, FosspushError, isFosspushError, utf8Encode } from '@fosspush/core';
import { getMessaging } from '@fosspush/client';
import { connectIpc, IPC_PAGE_BYTES, type IpcClient, type IpcNotifications } from '@fosspush/ipc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDaemon, type Daemon, type DaemonOptions } from '../src/index.js';
import { createFakeChannel, type FakeChannel, publicKeys } from '@fosspush/testing';

describe('fosspushd with an in-memory channel', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  let channels: FakeChannel[];
  const clients: IpcClient[] = [];
  const closers: (() => Promise<unknown>)[] = [];

  /** Starts a daemon on fake channels (`prepare` sets each up); does not wait for them. */
  async function launch(overrides: Partial<DaemonOptions> = {}, prepare: (channel: FakeChannel) => void = () => undefined): Promise<Daemon> {
    channels = [];
    daemon = createDaemon({
      dataDir: join(dir, 'data'),
      socketPath: join(dir, 'daemon.sock'),
      accounts: [{ id: 'home', type: 'push-server', url: 'https://push.example' }],
      createChannel: (_, { state }) => {
        const channel = createFakeChannel(state);
        prepare(channel);
        channels.push(channel);
        return channel;
      },
      reconnectInitialDelayMs: 10,
      ...overrides,
    });
    await daemon.start();
    return daemon;
  }
  async function start(overrides: Partial<DaemonOptions> = {}): Promise<Daemon> {
    await launch(overrides);
    await vi.waitFor(() => expect(channels[0]?.state).toBe('connected'));
    return daemon as Daemon;
  }
  async function client(): Promise<IpcClient> {
    const ipc = await connectIpc({ socketPath: join(dir, 'daemon.sock') });
    clients.push(ipc);
    return ipc;
  }
  const channel = () => channels[0] as FakeChannel;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpd-'));
  });
  afterEach(async () => {
    for (const ipc of clients.splice(0)) ipc.close();
    for (const close of closers.splice(0)) await close();
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('registers an app, issues its credential once, and returns the same token on repeat', async () => {
    await start();
    const ipc = await client();
    const keys = await publicKeys();
    const first = await ipc.call('register', { appId: 'org.example.a', instance: 'gcm', keys, senderIds: ['1234'] });
    expect(first.created).toBe(true);
    expect(first.credential).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const token = decodeToken(first.registration.token);
    expect(token).toMatchObject({ channel: 'webpush', endpoint: 'https://push.example/p/sub1', p256dh: keys.p256dh, auth: keys.auth });
    const again = await ipc.call('register', { appId: 'org.example.a', credential: first.credential as string, instance: 'gcm', keys, senderIds: ['1234'] });
    expect(again).toEqual({ registration: first.registration, created: false });
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700);
  });

  it('keeps apps apart: another app can neither list, read, ack nor unregister', async () => {
    await start();
    const ipc = await client();
    const a = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const b = await ipc.call('register', { appId: 'app.b', instance: 'gcm', keys: await publicKeys() });
    const authA = { appId: 'app.a', credential: a.credential as string };
    const authB = { appId: 'app.b', credential: b.credential as string };
    const pushed = channel().push('sub1');
    await vi.waitFor(async () => expect((await ipc.call('messages', authA)).messages).toHaveLength(1));

    const denied = (e: unknown) => isFosspushError(e, 'PERMISSION_DENIED');
    await expect(ipc.call('messages', { ...authA, credential: authB.credential })).rejects.toSatisfy(denied);
    await expect(ipc.call('messages', { ...authB, registrationId: a.registration.registrationId })).rejects.toSatisfy(denied);
    await expect(ipc.call('ack', { ...authB, messageIds: [pushed.id] })).rejects.toSatisfy(denied);
    await expect(ipc.call('register', { appId: 'app.a', credential: authB.credential, instance: 'x', keys: await publicKeys() })).rejects.toSatisfy(denied);
    await expect(ipc.call('register', { appId: 'app.a', instance: 'x', keys: await publicKeys() })).rejects.toSatisfy(denied);
    expect((await ipc.call('messages', authB)).messages).toEqual([]);
    expect((await ipc.call('unregister', { ...authB, instance: 'gcm' })).removed).toBe(true);
    expect((await ipc.call('registrations', authA)).registrations).toHaveLength(1);
    expect((await ipc.call('ack', { ...authA, messageIds: [pushed.id] })).acked).toBe(1);
  });

  it('stores a message, acks the channel, notifies observers, and de-duplicates redeliveries', async () => {
    await start();
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const seen: IpcNotifications['message'][] = [];
    ipc.on('message', (n) => seen.push(n));
    await ipc.call('observe', auth);

    const pushed = channel().push('sub1', { ttlSeconds: 0, topic: 'inbox' });
    await vi.waitFor(() => expect(seen).toHaveLength(1));
    expect(seen[0]?.message).toMatchObject({ id: pushed.id, registrationId: reg.registration.registrationId, payload: 'AQID', topic: 'inbox' });
    expect(channel().acks).toEqual([pushed.id]);
    // A TTL of 0 still waits for the app: the daemon is the device.
    expect((await ipc.call('messages', auth)).messages.map((m) => m.id)).toEqual([pushed.id]);

    channel().push('sub1', pushed); // redelivered before the app acked
    await vi.waitFor(() => expect(channel().acks).toHaveLength(2));
    await ipc.call('ack', { ...auth, messageIds: [pushed.id] });
    channel().push('sub1', pushed); // redelivered after the app acked
    await vi.waitFor(() => expect(channel().acks).toHaveLength(3));
    expect(seen).toHaveLength(1);
    expect((await ipc.call('messages', auth)).messages).toEqual([]);
  });

  it('a late redelivery of an acked message leaves the newer message of its topic queued', async () => {
    await start();
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const older = channel().push('sub1', { topic: 'score' });
    await vi.waitFor(() => expect(channel().acks).toEqual([older.id]));
    await ipc.call('ack', { ...auth, messageIds: [older.id] });
    const newer = channel().push('sub1', { topic: 'score' });
    await vi.waitFor(() => expect(channel().acks).toHaveLength(2));
    channel().push('sub1', older); // the far side never got the first ack
    await vi.waitFor(() => expect(channel().acks).toHaveLength(3));
    // Taken out as a duplicate before it reaches the queue, so its topic replaces nothing.
    expect((await ipc.call('messages', auth)).messages.map((m) => m.id)).toEqual([newer.id]);
  });

  it('survives a restart: same registrations, same token, unread messages kept', async () => {
    await start();
    let ipc = await client();
    const keys = await publicKeys();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const pushed = channel().push('sub1');
    await vi.waitFor(() => expect(channel().acks).toEqual([pushed.id]));
    ipc.close();
    await daemon?.stop();

    await start();
    await vi.waitFor(() => expect(channel().subscribed.has('sub1')).toBe(true));
    ipc = await client();
    expect((await ipc.call('registrations', auth)).registrations).toEqual([reg.registration]);
    expect((await ipc.call('messages', auth)).messages.map((m) => m.id)).toEqual([pushed.id]);
    expect((await ipc.call('register', { ...auth, instance: 'gcm', keys })).registration.token).toBe(reg.registration.token);
  });

  it('resubscribes a registration the far side forgot, keeping its id and telling the app the new token', async () => {
    await start();
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    await channel().unsubscribe('sub1'); // the server lost it
    await daemon?.stop();
    await start();
    const again = await client();
    const auth = { appId: 'app.a', credential: reg.credential as string };
    await vi.waitFor(async () => {
      const [current] = (await again.call('registrations', auth)).registrations;
      expect(current?.registrationId).toBe(reg.registration.registrationId);
      expect(decodeToken(current?.token ?? '').endpoint).toBe('https://push.example/p/sub2');
    });
    void ipc;
  });

  it('stores an endpoint the channel renewed mid-run, and the SDK app hears its new token (onTokenRefresh)', async () => {
    await start();
    const messaging = getMessaging({ appId: 'app.renew', socketPath: join(dir, 'daemon.sock'), keyFile: join(dir, 'renew.json') });
    closers.push(() => messaging.close());
    const first = await messaging.getToken();
    const refreshed: string[] = [];
    messaging.onTokenRefresh((token) => refreshed.push(token));
    channel().renew('sub1', 'https://push.example/p/sub1-renewed');
    await vi.waitFor(() => expect(refreshed).toHaveLength(1));
    const renewed = decodeToken(refreshed[0] as string);
    expect(renewed.endpoint).toBe('https://push.example/p/sub1-renewed');
    expect(renewed.p256dh).toBe(decodeToken(first).p256dh);
    expect(await messaging.getToken()).toBe(refreshed[0]);
    // Messages keep flowing to the same registration under its new endpoint.
    const got: string[] = [];
    messaging.onMessage((payload) => {
      got.push(payload.data?.['n'] ?? '');
    });
    channel().push('sub1', { payload: await encryptWebPush(utf8Encode(JSON.stringify({ data: { n: 'after renewal' } })), renewed) });
    await vi.waitFor(() => expect(got).toEqual(['after renewal']));
    // A renewal for a registration the daemon does not hold is ignored, and nothing breaks.
    channel().renew('sub-unknown', 'https://push.example/p/nobody');
    expect(await messaging.getToken()).toBe(refreshed[0]);
  });

  it('changes the token when the app brings new keys, and notifies its observers', async () => {
    await start();
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const tokens: string[] = [];
    ipc.on('token', (n) => tokens.push(n.registration.token));
    await ipc.call('observe', auth);
    const keys = await publicKeys();
    const moved = await ipc.call('register', { ...auth, instance: 'gcm', keys });
    expect(moved.created).toBe(false);
    expect(moved.registration.registrationId).toBe(reg.registration.registrationId);
    expect(decodeToken(moved.registration.token).p256dh).toBe(keys.p256dh);
    await vi.waitFor(() => expect(tokens).toEqual([moved.registration.token]));
  });

  it('uses one channel per account however many apps register', async () => {
    await start();
    const ipc = await client();
    for (let i = 0; i < 20; i++) await ipc.call('register', { appId: `app.n${i}`, instance: 'gcm', keys: await publicKeys() });
    expect(channels).toHaveLength(1);
    const status = await ipc.call('status', {});
    expect(status.accounts).toEqual([{ id: 'home', kind: 'fake', target: 'https://push.example', state: 'connected', registrations: 20 }]);
    expect(status.registrations).toHaveLength(20);
  });

  it('drops the oldest unread messages past the per-app bound and tells the app', async () => {
    await start({ maxQueuedPerApp: 3 });
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const ids = Array.from({ length: 5 }, () => channel().push('sub1').id);
    await vi.waitFor(() => expect(channel().acks).toHaveLength(5));
    expect((await ipc.call('messages', auth)).messages.map((m) => m.id)).toEqual(ids.slice(2));
    const deleted: number[] = [];
    ipc.on('deleted', (n) => deleted.push(n.count));
    await ipc.call('observe', auth);
    await vi.waitFor(() => expect(deleted).toEqual([2]));
  });

  it('retries an account that cannot connect, and reports the error meanwhile', async () => {
    await launch({ reconnectInitialDelayMs: 20 }, (fake) => {
      fake.failConnects = 2;
    });
    const ipc = await client();
    const early = await ipc.call('status', {});
    expect(early.accounts[0]?.state).not.toBe('connected');
    await expect(ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() })).rejects.toSatisfy((e) => isFosspushError(e, 'UNAVAILABLE'));
    await vi.waitFor(() => expect(channel().state).toBe('connected'));
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    expect(reg.credential).toBeDefined();
  });

  it('stops retrying an account whose channel failed, and status says why', async () => {
    const events: string[] = [];
    const log = (event: string) => events.push(event);
    await launch({ reconnectInitialDelayMs: 1, logger: { debug: log, info: log, warn: log, error: log } }, (fake) => {
      fake.fatal = new FosspushError('UNAUTHENTICATED', 'the server refused the login');
    });
    // Logged as the retry loop gives up: from here on nothing calls connect() again.
    await vi.waitFor(() => expect(events).toContain('account_failed'));
    expect(channel().connects).toBe(1);
    const status = await (await client()).call('status', {});
    expect(status.accounts[0]).toMatchObject({ state: 'failed', lastError: 'the server refused the login' });
  });

  it('pages stored messages by size, so no reply grows past a few hundred KiB', async () => {
    await start();
    const ipc = await client();
    const reg = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: await publicKeys() });
    const auth = { appId: 'app.a', credential: reg.credential as string };
    const payload = new Uint8Array(4000).fill(7);
    for (let i = 0; i < 100; i++) channel().push('sub1', { payload });
    await vi.waitFor(() => expect(channel().acks).toHaveLength(100));
    const pages: number[] = [];
    let afterSeq = 0;
    for (;;) {
      const page = await ipc.call('messages', { ...auth, afterSeq });
      pages.push(page.messages.length);
      expect(page.messages.reduce((sum, m) => sum + m.payload.length, 0)).toBeLessThanOrEqual(IPC_PAGE_BYTES);
      if (!page.more) break;
      afterSeq = page.cursor;
    }
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.reduce((a, b) => a + b, 0)).toBe(100);
  });

  it('an app too slow for a burst is dropped as a slow reader, and its SDK catches up with nothing lost', async () => {
    await start({ ipc: { maxWriteBufferBytes: 16 * 1024 } });
    const messaging = getMessaging({ appId: 'app.slow', socketPath: join(dir, 'daemon.sock'), keyFile: join(dir, 'slow.json') });
    closers.push(() => messaging.close());
    const token = decodeToken(await messaging.getToken());
    const seen = new Set<string>();
    let deliveries = 0;
    messaging.onMessage(async (payload) => {
      deliveries++;
      seen.add(payload.messageId);
      await new Promise((resolve) => setTimeout(resolve, 2));
    });
    const payload = await encryptWebPush(utf8Encode(JSON.stringify({ data: { pad: 'x'.repeat(2500) } })), token);
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) ids.push(channel().push('sub1', { payload }).id);
    await vi.waitFor(() => expect(seen.size).toBe(150), { timeout: 30_000, interval: 100 });
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(deliveries).toBe(150);
  }, 60_000);

  it('passes the VAPID key to the channel, and with requireVapid refuses a registration without one', async () => {
    await start({ requireVapid: true });
    const ipc = await client();
    const vapidPublicKey = (await publicKeys()).p256dh;
    const refused = ipc.call('register', { appId: 'org.example.a', instance: '1234|GCM', keys: await publicKeys(), senderIds: ['1234'] });
    await expect(refused).rejects.toSatisfy((e) => isFosspushError(e, 'VAPID_REQUIRED'));
    expect(channel().subscribed.size).toBe(0);
    const restricted = await ipc.call('register', { appId: 'org.example.a', instance: 'k|GCM', keys: await publicKeys(), vapidPublicKey });
    expect(restricted.registration.vapidPublicKey).toBe(vapidPublicKey);
    expect([...channel().subscribed.values()]).toEqual([{ vapidPublicKey }]);
  });

  it('rejects keys that are not a P-256 point and a 16-byte secret', async () => {
    await start();
    const ipc = await client();
    const error = await ipc.call('register', { appId: 'app.a', instance: 'gcm', keys: { p256dh: 'AAAA', auth: 'AAAA' } }).catch((e: unknown) => e);
    expect(isFosspushError(error, 'INVALID_REQUEST')).toBe(true);
  });
});
