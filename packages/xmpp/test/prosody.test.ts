// The XMPP channel against a real Prosody with mod_unified_push (Debian prosody + prosody-modules).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ChannelSubscription, createMemoryChannelState, decodeToken, decryptWebPush, encodeToken, generateSubscriptionKeys, manualClock, type PushMessage, toPushSubscription, utf8Decode } from '@fosspush/core';
import { Message, Sender } from '@fosspush/sender';
import { connectProsodyComponent, type ProsodyRig, startProsody } from '@fosspush/testing';
import { client, xml } from '@xmpp/client';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createXmppChannel, type XmppChannel, type XmppChannelOptions } from '../src/index.js';

let prosody: ProsodyRig;
const channels: XmppChannel[] = [];

beforeAll(async () => {
  prosody = await startProsody();
});
afterAll(async () => {
  await Promise.all(channels.map((channel) => channel.close()));
  await prosody?.stop();
});

async function open(options: Partial<XmppChannelOptions> = {}, user = 0) {
  const account = prosody.users[user] as (typeof prosody.users)[0];
  const channel = createXmppChannel({
    jid: account.jid,
    password: account.password,
    host: prosody.host,
    port: prosody.c2sPort,
    allowPlaintext: true,
    reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
    ...options,
  });
  channels.push(channel);
  const received: Array<{ registrationId: string; message: PushMessage }> = [];
  const errors: string[] = [];
  // Like the daemon: store, then ack.
  channel.on('message', (event) => {
    received.push(event);
    void channel.ack(event.registrationId, event.message.id);
  });
  channel.on('error', (error) => errors.push(error.code));
  await channel.connect();
  return { channel, received, errors };
}

async function register(channel: XmppChannel) {
  const keys = await generateSubscriptionKeys();
  const subscription = await channel.subscribe({});
  const token = encodeToken({ channel: subscription.tokenChannel ?? 'webpush', endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras });
  return { keys, subscription, token };
}

const text = async (event: { message: PushMessage } | undefined, keys: Awaited<ReturnType<typeof generateSubscriptionKeys>>) =>
  utf8Decode(await decryptWebPush(event?.message.payload as Uint8Array, keys));

const vapid = webpush.generateVAPIDKeys();
const webPushOptions = { vapidDetails: { subject: 'mailto:ops@example.test', publicKey: vapid.publicKey, privateKey: vapid.privateKey } };

/** The web-push library's request (sendNotification speaks https only), sent with fetch: the POST's status. */
async function webPushSend(subscription: webpush.PushSubscription, text: string): Promise<number> {
  const details = webpush.generateRequestDetails(subscription, text, webPushOptions);
  const headers = Object.fromEntries(
    Object.entries(details.headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([name, value]) => [name, String(value)]),
  );
  const response = await fetch(details.endpoint, { method: details.method, headers, body: details.body === null ? null : new Uint8Array(details.body) });
  return response.status;
}

/** A TCP relay to Prosody the test can cut, as a network drop would: both ends see the connection end, with no stream close. */
async function relay(port: number) {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server = createServer((inbound) => {
    if (refusing) return inbound.destroy();
    const outbound = connect(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    /** While set, connections are dropped as soon as they open: the network is still down. */
    refuse: (on: boolean) => {
      refusing = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('XMPP channel on a real Prosody', () => {
  it('delivers web-push and @fosspush/sender sends, which only the registration decrypts; 201 comes after the ack', async () => {
    const { channel, received } = await open();
    expect(channel.service).toBe(prosody.domain);
    const { keys, subscription, token } = await register(channel);
    expect(subscription.endpoint).toMatch(new RegExp(`^http://127.0.0.1:${prosody.httpPort}/push/.+`));
    const reachable = decodeToken(token);

    expect(await webPushSend(toPushSubscription(reachable), 'from web-push')).toBe(201);
    expect(received).toHaveLength(1);
    expect(received[0]?.registrationId).toBe(subscription.registrationId);
    expect(await text(received[0], keys)).toBe('from web-push');

    const sender = new Sender({});
    const result = await sender.send(new Message({ data: { n: 'from the sender SDK' } }), [encodeToken(reachable)]);
    expect(result.success).toBe(1);
    await sender.close();
    expect(received).toHaveLength(2);
    expect(JSON.parse(await text(received[1], keys))).toMatchObject({ data: { n: 'from the sender SDK' } });
    expect(received[0]?.message.id).not.toBe(received[1]?.message.id);
  });

  it('turns away pushes to an unsubscribed registration (500 from Prosody 0.12, see below), and keeps the other one', async () => {
    const { channel, received } = await open();
    const gone = await register(channel);
    const kept = await register(channel);
    await channel.unsubscribe(gone.subscription.registrationId);
    // The channel answers item-not-found, which the module means to turn into 404; on Prosody 0.12.3
    // its error handler reads `error.stanza`, which 0.12's send_iq errors lack (`error.context.stanza`),
    // so every iq error reaches the sender as 500. This asserts what the server does today.
    expect(await webPushSend(toPushSubscription(decodeToken(gone.token)), 'to the gone one')).toBe(500);
    expect(await webPushSend(toPushSubscription(decodeToken(kept.token)), 'to the kept one')).toBe(201);
    expect(received.map((event) => event.registrationId)).toEqual([kept.subscription.registrationId]);
    expect(channel.dropped.unknown).toBe(1);
  });

  it('renews an endpoint at about 80% of its lifetime while running, reports it, and both endpoints deliver meanwhile', async () => {
    // Prosody grants a day; the channel's clock is a manual one set to real time, so a day passes at once.
    const clock = manualClock(Date.now());
    const { channel, received } = await open({ runtime: { clock, timers: clock.timers } });
    const changes: ChannelSubscription[] = [];
    channel.on('subscriptionChanged', (subscription) => changes.push(subscription));
    const { keys, subscription, token } = await register(channel);
    const target = (endpoint: string) => ({ endpoint, keys: toPushSubscription(decodeToken(token)).keys });

    clock.advance(0.69 * 86_400_000);
    expect(changes).toEqual([]);
    clock.advance(0.12 * 86_400_000);
    await vi.waitFor(() => expect(changes).toHaveLength(1));
    const renewed = changes[0] as ChannelSubscription;
    expect(renewed.registrationId).toBe(subscription.registrationId);
    expect(renewed.endpoint).not.toBe(subscription.endpoint);
    expect(renewed.endpoint).toMatch(new RegExp(`^http://127.0.0.1:${prosody.httpPort}/push/.+`));
    // A restore now keeps the renewed endpoint (its renewal is a day away again).
    expect((await channel.subscribe({ registrationId: subscription.registrationId })).endpoint).toBe(renewed.endpoint);

    expect(await webPushSend(target(renewed.endpoint), 'to the new endpoint')).toBe(201);
    expect(await webPushSend(target(subscription.endpoint), 'to the old endpoint')).toBe(201);
    expect(await Promise.all(received.map((event) => text(event, keys)))).toEqual(['to the new endpoint', 'to the old endpoint']);
    expect(received.every((event) => event.registrationId === subscription.registrationId)).toBe(true);
  });

  it('fails for good, with UNAUTHENTICATED, when the server refuses the login', async () => {
    const channel = createXmppChannel({ jid: prosody.users[0].jid, password: 'wrong', host: prosody.host, port: prosody.c2sPort, allowPlaintext: true });
    channels.push(channel);
    channel.on('error', () => {});
    await expect(channel.connect()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(channel.state).toBe('failed');
    expect(channel.failure?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a server without TLS unless allowPlaintext is set', async () => {
    const channel = createXmppChannel({ jid: prosody.users[0].jid, password: prosody.users[0].password, host: prosody.host, port: prosody.c2sPort });
    channels.push(channel);
    channel.on('error', () => {});
    await expect(channel.connect()).rejects.toThrow(/no TLS/);
    expect(channel.state).toBe('failed');
  });

  it('carries 100 registrations on one stream, each message to its own registration only', async () => {
    const { channel, received } = await open();
    const registrations = [];
    for (let i = 0; i < 100; i++) registrations.push(await register(channel));
    const endpoints = new Set(registrations.map((r) => r.subscription.endpoint));
    expect(endpoints.size).toBe(100);
    await Promise.all(
      registrations.map(async (r, i) => {
        const endpoint = r.subscription.endpoint;
        expect(await webPushSend({ endpoint, keys: toPushSubscription(decodeToken(r.token)).keys }, `n${i}`)).toBe(201);
      }),
    );
    expect(received).toHaveLength(100);
    for (const event of received) {
      const index = registrations.findIndex((r) => r.subscription.registrationId === event.registrationId);
      // Decrypts with its own registration's keys, so it was routed to that registration.
      expect(await text(event, registrations[index]?.keys as never)).toBe(`n${index}`);
    }
  });

  it('delivers everything sent while connected across a Prosody restart, and keeps the endpoint', async () => {
    const state = createMemoryChannelState();
    const { channel, received } = await open({ state });
    const { keys, subscription, token } = await register(channel);
    const target = { endpoint: subscription.endpoint, keys: toPushSubscription(decodeToken(token)).keys };
    const sendAll = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) expect(await webPushSend(target, `m${i}`)).toBe(201);
    };
    await sendAll(0, 5);
    await prosody.restart();
    await vi.waitFor(() => expect(channel.state).toBe('connected'), { timeout: 15_000 });
    // The endpoint (Prosody's stored registration) survives the restart: the token stays.
    await sendAll(5, 5);
    const delivered = await Promise.all(received.map((event) => text(event, keys)));
    expect(delivered).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8', 'm9']);
    expect((await channel.subscribe({ registrationId: subscription.registrationId })).endpoint).toBe(subscription.endpoint);
  });

  it('resumes the stream (XEP-0198) after a dropped connection: a push sent meanwhile waits in Prosody and arrives exactly once', async () => {
    // The channel's timers run on a manual clock, so it reconnects only when the test says.
    const clock = manualClock(Date.now());
    const network = await relay(prosody.c2sPort);
    const { channel, received, errors } = await open({ port: network.port, runtime: { clock, timers: clock.timers } });
    const { keys, subscription, token } = await register(channel);
    const target = { endpoint: subscription.endpoint, keys: toPushSubscription(decodeToken(token)).keys };
    expect(await webPushSend(target, 'before')).toBe(201);

    network.cut();
    await vi.waitFor(() => expect(channel.state).toBe('reconnecting'));
    let answered: number | undefined;
    const during = webPushSend(target, 'during the drop').then((status) => {
      answered = status;
      return status;
    });
    // Prosody queues the push for the hibernating session and holds the POST: no 201 yet, nothing lost.
    await sleep(500);
    expect(answered).toBeUndefined();
    expect(received).toHaveLength(1);

    // The first retry finds the network still down; the session stays resumable for the next.
    network.refuse(true);
    const errorsBefore = errors.length;
    clock.advance(1_000);
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(errorsBefore));
    expect(channel.state).toBe('reconnecting');
    network.refuse(false);
    clock.advance(1_000);
    expect(await during).toBe(201);
    await vi.waitFor(() => expect(channel.state).toBe('connected'));
    expect(await webPushSend(target, 'after')).toBe(201);
    expect(await Promise.all(received.map((event) => text(event, keys)))).toEqual(['before', 'during the drop', 'after']);
    await channel.close();
    await network.close();
  });

  it('documents the server limit: after a clean close (the daemon stopped), Prosody 0.12 answers 201 to a push and drops it', async () => {
    const state = createMemoryChannelState();
    const first = await open({ state });
    const { keys, subscription, token } = await register(first.channel);
    const target = { endpoint: subscription.endpoint, keys: toPushSubscription(decodeToken(token)).keys };
    await first.channel.close();
    expect(await webPushSend(target, 'while offline')).toBe(201);
    const second = await open({ state });
    expect(await webPushSend(target, 'back online')).toBe(201);
    expect(await Promise.all(second.received.map((event) => text(event, keys)))).toEqual(['back online']);
    expect(first.received).toHaveLength(0);
  });

  it('turns away foreign, malformed, oversized and unknown pushes, and leaves chat messages alone', async () => {
    const state = createMemoryChannelState();
    const resource = 'fosspush-test';
    await state.set('xmpp:resource', resource);
    const { channel, received, errors } = await open({ componentJid: prosody.component.jid, state });
    expect(channel.service).toBe(prosody.component.jid);
    const { keys, subscription } = await register(channel).catch(() => ({ keys: undefined, subscription: undefined }));
    // The evil component is not a UnifiedPush service: registering there fails, the channel stays up.
    expect(subscription).toBeUndefined();
    expect(keys).toBeUndefined();

    // bob sends a push-shaped iq and a chat message to alice's channel resource.
    const bob = client({ service: `xmpp://${prosody.host}:${prosody.c2sPort}`, domain: prosody.domain, username: 'bob', password: prosody.users[1].password });
    bob.reconnect.stop();
    await bob.start();
    const aliceFull = `${prosody.users[0].jid}/${resource}`;
    const foreign = await bob.iqCaller
      .request(xml('iq', { type: 'set', to: aliceFull }, xml('push', { xmlns: 'http://gultsch.de/xmpp/drafts/unified-push', instance: 'x', application: 'y' }, 'AAAA')))
      .catch((error: { condition?: string }) => error.condition);
    expect(foreign).toBe('service-unavailable');
    await bob.send(xml('message', { type: 'chat', to: prosody.users[0].jid }, xml('body', {}, 'hello alice')));
    await bob.send(xml('message', { type: 'chat', to: aliceFull }, xml('body', {}, 'hello channel')));

    const component = await connectProsodyComponent(prosody);
    const push = (id: string, body: string, attrs = `instance='${'a'.repeat(44)}' application='b'`) =>
      component.send(`<iq type='set' id='${id}' from='${prosody.component.jid}' to='${aliceFull}'><push xmlns='http://gultsch.de/xmpp/drafts/unified-push' ${attrs}>${body}</push></iq>`);
    push('malformed', 'not base64 !!');
    push('noattrs', 'AAAA', '');
    push('oversized', 'A'.repeat(8000));
    push('unknown', 'AAAA');
    await vi.waitFor(() => {
      const seen = component.received();
      for (const id of ['malformed', 'noattrs', 'oversized', 'unknown']) expect(seen).toMatch(new RegExp(`id=['"]${id}['"][^>]*type=['"]error['"]|type=['"]error['"][^>]*id=['"]${id}['"]`));
    });
    expect(component.received()).toMatch(/<item-not-found xmlns=['"]urn:ietf:params:xml:ns:xmpp-stanzas['"]/);
    expect(component.received()).toContain('policy-violation');
    expect(channel.dropped).toMatchObject({ foreign: 1, malformed: 2, oversized: 1, unknown: 1 });
    expect(errors).toEqual(expect.arrayContaining(['UNKNOWN_SENDER', 'INVALID_MESSAGE', 'PAYLOAD_TOO_LARGE', 'NOT_FOUND']));
    expect(received).toHaveLength(0);
    expect(channel.state).toBe('connected');
    component.close();

    // The chat message to the bare JID still waits for alice's chat clients (offline storage).
    const alice = client({ service: `xmpp://${prosody.host}:${prosody.c2sPort}`, domain: prosody.domain, username: 'alice', password: prosody.users[0].password, resource: 'phone' });
    alice.reconnect.stop();
    const chats: string[] = [];
    alice.on('stanza', (stanza) => {
      if (stanza.is('message')) chats.push(stanza.getChildText('body') ?? '');
    });
    await alice.start();
    await alice.send(xml('presence'));
    await vi.waitFor(() => expect(chats).toContain('hello alice'));
    await alice.stop();
    await bob.stop();
  });
});

describe('XMPP channel over TLS (STARTTLS and direct TLS) on a real Prosody', () => {
  let secure: ProsodyRig;
  let otherCa: string;
  const tlsChannels: XmppChannel[] = [];

  beforeAll(async () => {
    secure = await startProsody({ tls: true });
    // A CA that signed nothing of this server's: trusting it alone must not be enough.
    const dir = mkdtempSync(join(tmpdir(), 'fosspush-other-ca-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'k'), '-out', join(dir, 'c'), '-days', '1', '-subj', '/CN=other CA'], { stdio: 'pipe' });
    otherCa = readFileSync(join(dir, 'c'), 'utf8');
    rmSync(dir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await Promise.all(tlsChannels.map((channel) => channel.close()));
    await secure?.stop();
  });

  const tlsChannel = (options: Partial<XmppChannelOptions>) => {
    const channel = createXmppChannel({
      jid: secure.users[0].jid,
      password: secure.users[0].password,
      host: secure.host,
      port: secure.c2sPort,
      reconnect: { initialDelayMs: 50, maxDelayMs: 300 },
      ...options,
    });
    tlsChannels.push(channel);
    channel.on('error', () => {});
    return channel;
  };

  async function deliversOver(channel: XmppChannel) {
    const received: PushMessage[] = [];
    channel.on('message', (event) => {
      received.push(event.message);
      void channel.ack(event.registrationId, event.message.id);
    });
    await channel.connect();
    const { keys, subscription, token } = await register(channel);
    expect(await webPushSend({ endpoint: subscription.endpoint, keys: toPushSubscription(decodeToken(token)).keys }, 'over tls')).toBe(201);
    expect(await text({ message: received[0] as PushMessage }, keys)).toBe('over tls');
  }

  it('logs in over STARTTLS, trusting the server CA given as `ca` (no allowPlaintext), and delivers', async () => {
    await deliversOver(tlsChannel({ ca: secure.tls?.ca as string }));
  });

  it('logs in over direct TLS on c2s_direct_tls_ports with `ca`, and delivers', async () => {
    await deliversOver(tlsChannel({ directTls: true, port: secure.tls?.directTlsPort as number, ca: secure.tls?.ca as string }));
  });

  it.each([
    ['STARTTLS', {}],
    ['direct TLS', { directTls: true }],
  ])('fails for good with UNAUTHENTICATED when the certificate does not verify (%s: a wrong CA, or the system CAs)', async (_, mode: Partial<XmppChannelOptions>) => {
    const port = mode.directTls ? (secure.tls?.directTlsPort as number) : secure.c2sPort;
    for (const ca of [otherCa, undefined]) {
      const channel = tlsChannel({ ...mode, port, ...(ca === undefined ? {} : { ca }) });
      await expect(channel.connect()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/certificate .* is not trusted/) });
      expect(channel.state).toBe('failed');
      expect(channel.failure?.details['tlsError']).toMatch(/SELF_SIGNED|UNABLE_TO/);
    }
  });
});
