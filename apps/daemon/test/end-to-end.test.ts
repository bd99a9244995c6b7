import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ClientOptions,
  GcmListenerService,
  GoogleCloudMessaging,
  getMessaging,
  type Messaging,
  type ReceivedMessage,
} from '@fosspush/client';
import { isFosspushError } from '@fosspush/core';
import { connectIpc, type StatusResult } from '@fosspush/ipc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type DaemonProcess,
  deviceConnections,
  portOf,
  type PushServerProcess,
  push,
  startDaemon,
  startPushServer,
  untilStatus,
} from './rigs.js';

const SLOW = { timeout: 30_000, interval: 100 };

/** A GcmListenerService that records what it got. */
class Recorder extends GcmListenerService {
  readonly received: ReceivedMessage[] = [];
  override onMessageReceived(_from: string, _data: Record<string, string>, message: ReceivedMessage) {
    this.received.push(message);
  }
  values(key: string): string[] {
    return this.received.map((m) => m.data[key] ?? '');
  }
}

describe('fosspushd with a real push server, as separate processes', { timeout: 120_000 }, () => {
  let dir: string;
  let server: PushServerProcess;
  let daemon: DaemonProcess;
  const cleanups: (() => Promise<unknown>)[] = [];
  let appSeq = 0;

  const socketPath = () => join(dir, 'd.sock');
  const app = (name: string): ClientOptions => ({ appId: `org.example.${name}${++appSeq}`, socketPath: socketPath(), keyFile: join(dir, 'apps', `${name}${appSeq}.json`) });
  const startServer = async (port?: number) => {
    server = await startPushServer({ db: join(dir, 'server.db'), port });
    return server;
  };
  const startDaemonProcess = async () => {
    daemon = await startDaemon({ serverUrl: server.url, dataDir: join(dir, 'daemon'), socketPath: socketPath() });
    return daemon;
  };
  const gcm = (options: ClientOptions) => {
    const client = GoogleCloudMessaging.getInstance(options);
    cleanups.push(() => client.close());
    return client;
  };
  const fcm = (options: ClientOptions): Messaging => {
    const messaging = getMessaging(options);
    cleanups.push(() => messaging.close());
    return messaging;
  };
  const connected = (status: StatusResult) => status.accounts[0]?.state === 'connected';

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpe2e-'));
    await startServer();
    await startDaemonProcess();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
    await daemon.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('two apps register through one daemon and one server connection; each gets only its own messages', async () => {
    const a = gcm(app('a'));
    const b = fcm(app('b'));
    const tokenA = await a.register('1234');
    const tokenB = await b.getToken();
    const recorder = new Recorder();
    a.setListener(recorder);
    const seenByB: string[] = [];
    b.onMessage((payload) => {
      seenByB.push(payload.data?.['text'] ?? '');
    });

    await push(tokenA, { text: 'for a' });
    await push(tokenB, { text: 'for b' });
    await vi.waitFor(() => expect(recorder.values('text')).toEqual(['for a']), SLOW);
    await vi.waitFor(() => expect(seenByB).toEqual(['for b']), SLOW);
    expect(recorder.received[0]?.from).toBe('1234');
    expect(await deviceConnections(server.url)).toBe(1);
    await untilStatus(socketPath(), (s) => s.accounts[0]?.registrations === 2 && s.registrations.every((r) => r.queued === 0));
  });

  it("app B can neither read nor ack app A's messages", async () => {
    const optionsA = app('a');
    const optionsB = app('b');
    const tokenA = await gcm(optionsA).register('1234');
    await fcm(optionsB).getToken();
    await push(tokenA, { secret: 'only for a' });
    await untilStatus(socketPath(), (s) => s.registrations.some((r) => r.appId === optionsA.appId && r.queued === 1));

    // App B speaks the wire itself, with its own credential from its own key file.
    const credentialOf = async (options: ClientOptions) => JSON.parse(await readFile(options.keyFile as string, 'utf8')).credential as string;
    const authA = { appId: optionsA.appId, credential: await credentialOf(optionsA) };
    const authB = { appId: optionsB.appId, credential: await credentialOf(optionsB) };
    const ipc = await connectIpc({ socketPath: socketPath() });
    cleanups.push(async () => ipc.close());
    const [messageA] = (await ipc.call('messages', authA)).messages;
    const denied = (e: unknown) => isFosspushError(e, 'PERMISSION_DENIED');

    await expect(ipc.call('messages', { ...authB, registrationId: messageA?.registrationId as string })).rejects.toSatisfy(denied);
    await expect(ipc.call('ack', { ...authB, messageIds: [messageA?.id as string] })).rejects.toSatisfy(denied);
    await expect(ipc.call('messages', { ...authA, credential: authB.credential })).rejects.toSatisfy(denied);
    await expect(ipc.call('unregister', { ...authA, credential: authB.credential, instance: '1234|GCM' })).rejects.toSatisfy(denied);
    expect((await ipc.call('messages', authB)).messages).toEqual([]);
    expect((await ipc.call('messages', authA)).messages.map((m) => m.id)).toEqual([messageA?.id]);
  });

  it('the daemon is SIGKILLed and restarted: same registrations and tokens, unacked messages delivered', async () => {
    const options = app('a');
    const client = gcm(options);
    const token = await client.register('1234');
    await push(token, { n: '1' });
    await untilStatus(socketPath(), (s) => s.registrations[0]?.queued === 1);

    await daemon.stop('SIGKILL');
    await push(token, { n: '2' }); // accepted by the server while the daemon is dead
    await startDaemonProcess();
    await untilStatus(socketPath(), connected);

    expect(await client.register('1234')).toBe(token);
    const recorder = new Recorder();
    client.setListener(recorder);
    await vi.waitFor(() => expect(recorder.values('n')).toEqual(['1', '2']), SLOW);

    // The app keeps listening through another crash: its SDK reconnects by itself.
    await daemon.stop('SIGKILL');
    await startDaemonProcess();
    await push(token, { n: '3' });
    await vi.waitFor(() => expect(recorder.values('n')).toEqual(['1', '2', '3']), SLOW);
  });

  it('an app that was not running gets what it missed when it starts', async () => {
    const options = app('a');
    const first = getMessaging(options);
    const token = await first.getToken();
    await first.close();

    await push(token, { text: 'while you were away' });
    await untilStatus(socketPath(), (s) => s.registrations[0]?.queued === 1);

    const later = fcm(options);
    expect(await later.getToken()).toBe(token);
    const seen: string[] = [];
    later.onMessage((payload) => {
      seen.push(payload.data?.['text'] ?? '');
    });
    await vi.waitFor(() => expect(seen).toEqual(['while you were away']), SLOW);
    await untilStatus(socketPath(), (s) => s.registrations[0]?.queued === 0);
  });

  it('the server restarts: the daemon reconnects and nothing is lost', async () => {
    const client = gcm(app('a'));
    const token = await client.register('1234');
    const recorder = new Recorder();
    client.setListener(recorder);
    await push(token, { n: '1' });
    await vi.waitFor(() => expect(recorder.values('n')).toEqual(['1']), SLOW);

    // Queued on the server while the daemon is away, then the server itself dies.
    await daemon.stop('SIGKILL');
    await push(token, { n: '2' });
    await server.stop('SIGKILL');
    const port = portOf(server.url);
    await startServer(port);
    await startDaemonProcess();
    await vi.waitFor(() => expect(recorder.values('n')).toEqual(['1', '2']), SLOW);

    // The server restarts under a running daemon.
    await server.stop('SIGTERM');
    await startServer(port);
    await untilStatus(socketPath(), connected);
    await push(token, { n: '3' });
    await vi.waitFor(() => expect(recorder.values('n')).toEqual(['1', '2', '3']), SLOW);
    expect(await deviceConnections(server.url)).toBe(1);
  });
});
