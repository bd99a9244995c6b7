import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeToken, encryptWebPush, type FosspushError, isFosspushError, manualClock, toBase64Url, utf8Encode } from '@fosspush/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ClientOptions,
  GcmListenerService,
  GcmPubSub,
  GoogleCloudMessaging,
  getMessaging,
  InstanceID,
  type MessagePayload,
  onMessage,
  type ReceivedMessage,
} from '../src/index.js';
import { type ScriptedDaemon, scriptedCredential, startScriptedDaemon } from './scripted-daemon.js';

describe('@fosspush/client against a scripted daemon on a real socket', () => {
  let dir: string;
  let daemon: ScriptedDaemon;
  let options: ClientOptions;
  const errors: FosspushError[] = [];
  const closers: (() => Promise<void>)[] = [];
  let appCounter = 0;

  async function ciphertext(registrationId: string, body: unknown): Promise<string> {
    const registration = daemon.registrations.get(registrationId);
    if (!registration) throw new Error('unknown registration');
    const plaintext = typeof body === 'string' ? utf8Encode(body) : utf8Encode(JSON.stringify(body));
    return toBase64Url(await encryptWebPush(plaintext, registration.keys));
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpc-'));
    daemon = await startScriptedDaemon(join(dir, 'daemon.sock'));
    errors.length = 0;
    // A fresh app id per test: GCM instances are per-app singletons, as on Android.
    const appId = `org.example.app${++appCounter}`;
    options = { appId, socketPath: join(dir, 'daemon.sock'), keyFile: join(dir, 'keys', `${appId}.json`), onError: (e) => errors.push(e) };
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await daemon.close();
    await rm(dir, { recursive: true, force: true });
  });

  function gcm(): GoogleCloudMessaging {
    const instance = GoogleCloudMessaging.getInstance(options);
    closers.push(() => instance.close());
    return instance;
  }

  it('register returns the same token on repeat and keeps the keys in a private file', async () => {
    const client = gcm();
    const token = await client.register('1234');
    expect(await client.register('1234')).toBe(token);
    expect(decodeToken(token).endpoint).toBe('https://push.example/p/r1');
    expect((await stat(options.keyFile as string)).mode & 0o777).toBe(0o600);
    const file = JSON.parse(await readFile(options.keyFile as string, 'utf8'));
    expect(file.credential).toBe(scriptedCredential(options.appId));
    expect(file.registrations['1234|GCM'].keys.privateKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(GoogleCloudMessaging.getInstance(options)).toBe(client);
  });

  it('decrypts a message for the GcmListenerService and acks it only after the handler finished', async () => {
    const client = gcm();
    await client.register('1234');
    const received: [string, Record<string, string>, ReceivedMessage][] = [];
    let finishHandler: () => void = () => {};
    const handlerDone = new Promise<void>((resolve) => {
      finishHandler = resolve;
    });
    client.setListener(
      new (class extends GcmListenerService {
        override async onMessageReceived(from: string, data: Record<string, string>, message: ReceivedMessage) {
          received.push([from, data, message]);
          await handlerDone;
        }
      })(),
    );
    const message = daemon.queue('r1', await ciphertext('r1', { data: { hello: 'world' }, notification: { title: 'Hi' } }), { topic: 'chat' });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]?.[0]).toBe('1234');
    expect(received[0]?.[1]).toEqual({ hello: 'world' });
    expect(received[0]?.[2]).toMatchObject({ messageId: message.id, notification: { title: 'Hi' }, collapseKey: 'chat' });
    expect(daemon.acked).toEqual([]);
    finishHandler();
    await vi.waitFor(() => expect(daemon.acked).toEqual([message.id]));
  });

  it('hands the app the original collapse key when the Topic carries only its hash', async () => {
    const client = gcm();
    await client.register('1234');
    const received: ReceivedMessage[] = [];
    client.setListener(
      new (class extends GcmListenerService {
        override onMessageReceived(_from: string, _data: Record<string, string>, message: ReceivedMessage) {
          received.push(message);
        }
      })(),
    );
    daemon.queue('r1', await ciphertext('r1', { data: {}, collapseKey: 'new mail for alice@x.y' }), { topic: 'hashedTopicOf32CharactersXXXXXXX' });
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(received[0]?.collapseKey).toBe('new mail for alice@x.y');
  });

  it('delivers what was queued before the app listened, then live messages, each once', async () => {
    const client = gcm();
    await client.register('1234');
    const early = daemon.queue('r1', await ciphertext('r1', { data: { n: '1' } }));
    const seen: string[] = [];
    client.setListener(
      new (class extends GcmListenerService {
        override onMessageReceived(_from: string, data: Record<string, string>) {
          seen.push(data['n'] ?? '');
        }
      })(),
    );
    await vi.waitFor(() => expect(daemon.acked).toEqual([early.id]));
    daemon.queue('r1', await ciphertext('r1', { data: { n: '2' } }));
    await vi.waitFor(() => expect(seen).toEqual(['1', '2']));
  });

  it('drops a message that does not decrypt, reporting DECRYPT_FAILED', async () => {
    const client = gcm();
    await client.register('1234');
    const listener = vi.fn();
    client.setListener(new (class extends GcmListenerService {
      override onMessageReceived = listener;
    })());
    const forged = daemon.queue('r1', toBase64Url(new Uint8Array(120).fill(7)));
    await vi.waitFor(() => expect(daemon.acked).toEqual([forged.id]));
    expect(listener).not.toHaveBeenCalled();
    expect(errors.map((e) => e.code)).toEqual(['DECRYPT_FAILED']);
  });

  it('gives a non-conventional plaintext as raw bytes with empty data', async () => {
    const messaging = getMessaging(options);
    closers.push(() => messaging.close());
    await messaging.getToken();
    const payloads: MessagePayload[] = [];
    onMessage(messaging, (p) => payloads.push(p));
    daemon.queue('r1', await ciphertext('r1', 'plain text, UnifiedPush style'));
    await vi.waitFor(() => expect(payloads).toHaveLength(1));
    expect(payloads[0]?.data).toEqual({});
    expect(new TextDecoder().decode(payloads[0]?.rawData)).toBe('plain text, UnifiedPush style');
  });

  it('maps failures to GCM error strings: send, an absent daemon, PubSub', async () => {
    const client = gcm();
    await client.register('1234');
    const sendError = (await client.send('1234@gcm.googleapis.com', 'm1', 60, { a: 'b' }).catch((e: unknown) => e)) as FosspushError;
    expect(sendError.message).toBe(GoogleCloudMessaging.ERROR_SERVICE_NOT_AVAILABLE);
    expect(sendError.code).toBe('UNAVAILABLE');
    const token = await client.register('1234');
    const pubsub = await GcmPubSub.getInstance(options).subscribe(token, '/topics/news').catch((e: unknown) => e);
    expect((pubsub as Error).message).toBe('SERVICE_NOT_AVAILABLE');
    const badTopic = await GcmPubSub.getInstance(options).subscribe(token, 'news').catch((e: unknown) => e);
    expect((badTopic as Error).message).toBe('INVALID_PARAMETERS');

    await daemon.close();
    const other = GoogleCloudMessaging.getInstance({ ...options, appId: `${options.appId}.other`, keyFile: join(dir, 'other.json') });
    closers.push(() => other.close());
    const down = (await other.register('1234').catch((e: unknown) => e)) as FosspushError;
    expect(down.message).toBe('SERVICE_NOT_AVAILABLE');
    expect(isFosspushError(down, 'UNAVAILABLE')).toBe(true);
  });

  it('register with no sender id is INVALID_PARAMETERS, as on Android', async () => {
    const error = (await gcm().register().catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('INVALID_PARAMETERS');
  });

  it('reports a token change to onTokenRefresh and getSubscription', async () => {
    const messaging = getMessaging(options);
    closers.push(() => messaging.close());
    expect(await messaging.getSubscription()).toBeNull();
    const token = await messaging.getToken({ vapidKey: 'BVAPIDkey' });
    expect(await messaging.getSubscription()).toEqual({ endpoint: 'https://push.example/p/r1', expirationTime: null, keys: { p256dh: decodeToken(token).p256dh, auth: decodeToken(token).auth } });
    const refreshed: string[] = [];
    const stop = messaging.onTokenRefresh((t) => refreshed.push(t));
    await vi.waitFor(() => expect(daemon.server.connectionCount).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    daemon.changeToken('r1', 'https://push.example/p/moved');
    await vi.waitFor(() => expect(refreshed).toHaveLength(1));
    expect(decodeToken(refreshed[0] as string).endpoint).toBe('https://push.example/p/moved');
    expect(await messaging.getToken()).toBe(refreshed[0]);
    stop();
    expect(await messaging.deleteToken()).toBe(true);
    expect(await messaging.getSubscription()).toBeNull();
  });

  it('keeps GCM and FCM messages apart, and leaves unclaimed ones with the daemon', async () => {
    const client = gcm();
    const messaging = getMessaging(options);
    await client.register('1234');
    await messaging.getToken();
    const fcm: MessagePayload[] = [];
    const stop = messaging.onMessage((p) => fcm.push(p));
    const forGcm = daemon.queue('r1', await ciphertext('r1', { data: { to: 'gcm' } }));
    daemon.queue('r2', await ciphertext('r2', { data: { to: 'fcm' } }));
    await vi.waitFor(() => expect(fcm.map((p) => p.data?.['to'])).toEqual(['fcm']));
    expect(daemon.queued.map((m) => m.id)).toEqual([forGcm.id]);
    stop();
    const gcmSeen: string[] = [];
    client.setListener(new (class extends GcmListenerService {
      override onMessageReceived(_from: string, data: Record<string, string>) {
        gcmSeen.push(data['to'] ?? '');
      }
    })());
    await vi.waitFor(() => expect(gcmSeen).toEqual(['gcm']));
  });

  it('InstanceID: a stable id, one token per entity and scope, and a reset', async () => {
    const iid = InstanceID.getInstance(options);
    closers.push(() => GoogleCloudMessaging.getInstance(options).close());
    const id = await iid.getId();
    expect(await iid.getId()).toBe(id);
    expect(await iid.getCreationTime()).toBeLessThanOrEqual(Date.now());
    const a = await iid.getToken('1234', 'GCM');
    const b = await iid.getToken('1234', 'other-scope');
    expect(a).not.toBe(b);
    expect(await GoogleCloudMessaging.getInstance(options).register('1234')).toBe(a);
    await iid.deleteToken('1234', 'other-scope');
    expect(daemon.registrations.size).toBe(1);
    await iid.deleteInstanceID();
    expect(daemon.registrations.size).toBe(0);
    expect(await iid.getId()).not.toBe(id);
    expect(await iid.getToken('1234', 'GCM')).not.toBe(a);
  });

  it('InstanceID: the id and its creation time come from the injected runtime', async () => {
    const clock = manualClock(1_700_000_000_000);
    let draws = 0;
    const runtime = { clock, random: { bytes: (length: number) => new Uint8Array(length).fill(++draws) } };
    const iid = InstanceID.getInstance({ ...options, runtime });
    closers.push(() => GoogleCloudMessaging.getInstance(options).close());
    expect(await iid.getId()).toBe(toBase64Url(new Uint8Array(8).fill(1)));
    expect(await iid.getCreationTime()).toBe(1_700_000_000_000);
    clock.advance(60_000);
    await iid.deleteInstanceID();
    expect(await iid.getId()).toBe(toBase64Url(new Uint8Array(8).fill(2)));
    expect(await iid.getCreationTime()).toBe(1_700_000_060_000);
  });

  it('tells the listener service and receivers about deleted messages', async () => {
    const client = gcm();
    await client.register('1234');
    const deletions = vi.fn();
    client.setListener(new (class extends GcmListenerService {
      override onDeletedMessages = deletions;
    })());
    const intents: string[] = [];
    const stop = client.addReceiver((intent) => intents.push(`${client.getMessageType(intent)}:${intent.extras['total_deleted']}`));
    await vi.waitFor(() => expect(daemon.server.connectionCount).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    daemon.reportDeleted(options.appId, 7);
    await vi.waitFor(() => expect(intents).toEqual(['deleted_messages:7']));
    expect(deletions).toHaveBeenCalledTimes(1);
    stop();
  });

  it('getMessageType reads the intent as GCM receivers did', () => {
    const client = gcm();
    expect(client.getMessageType({ extras: { hello: 'x' } })).toBe(GoogleCloudMessaging.MESSAGE_TYPE_MESSAGE);
    expect(client.getMessageType({ extras: { message_type: 'deleted_messages' } })).toBe(GoogleCloudMessaging.MESSAGE_TYPE_DELETED);
  });
});
