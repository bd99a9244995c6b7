import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcmListenerService, GoogleCloudMessaging, InstanceID, type ReceivedMessage } from '@fosspush/client';
import { generateVapidKeys, isFosspushError, type VapidKeys } from '@fosspush/core';
import { Message, Sender } from '@fosspush/sender';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DaemonProcess, type PushServerProcess, startDaemon, startPushServer } from './rigs.js';

const SLOW = { timeout: 30_000, interval: 100 };

class Recorder extends GcmListenerService {
  readonly texts: string[] = [];
  override onMessageReceived(_from: string, data: Record<string, string>, _message: ReceivedMessage) {
    this.texts.push(data['text'] ?? '');
  }
}

/**
 * Sender authentication as the README promises it: the app server's VAPID key in GCM's sender id
 * place makes an RFC 8292 restricted token, and a daemon can be told to accept nothing else.
 */
describe('sender authentication with a real fosspush-server, fosspushd and Sender', { timeout: 120_000 }, () => {
  let dir: string;
  let server: PushServerProcess;
  let daemon: DaemonProcess;
  let strict: DaemonProcess;
  let appServer: VapidKeys;
  let appSeq = 0;
  const app = (socketPath: string) => {
    const appId = `org.example.auth${++appSeq}`;
    return { appId, socketPath, keyFile: join(dir, 'apps', `${appId}.json`) };
  };
  const sender = (keys?: VapidKeys) => new Sender({ vapid: keys === undefined ? undefined : { keys, subject: 'mailto:ops@example.org' }, retries: 0 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpauth-'));
    appServer = await generateVapidKeys();
    server = await startPushServer({ db: join(dir, 'server.db') });
    daemon = await startDaemon({ serverUrl: server.url, dataDir: join(dir, 'open'), socketPath: join(dir, 'open.sock') });
    const config = join(dir, 'strict.json');
    await writeFile(config, JSON.stringify({ requireVapid: true, accounts: [{ id: 'home', type: 'push-server', url: server.url }] }));
    strict = await startDaemon({ config, dataDir: join(dir, 'strict'), socketPath: join(dir, 'strict.sock') });
  });
  afterAll(async () => {
    await strict?.stop();
    await daemon?.stop();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('register(vapidPublicKey) makes a restricted token: its key delivers, another key and no key are refused', async () => {
    const gcm = GoogleCloudMessaging.getInstance(app(daemon.socketPath));
    const recorder = new Recorder();
    gcm.setListener(recorder);
    const owner = sender(appServer);
    const stranger = sender(await generateVapidKeys());
    const anonymous = sender();
    try {
      const token = await gcm.register(appServer.publicKey);
      expect((await stranger.send(new Message({ data: { text: 'from a stranger' } }), token)).results).toEqual([{ error: 'MismatchSenderId' }]);
      expect((await anonymous.send(new Message({ data: { text: 'from nobody' } }), token)).results).toEqual([{ error: 'AuthenticationError' }]);
      const sent = await owner.send(new Message({ data: { text: 'from the app server' } }), token);
      expect(sent.success).toBe(1);
      await vi.waitFor(() => expect(recorder.texts).toEqual(['from the app server']), SLOW);
    } finally {
      await Promise.all([owner.close(), stranger.close(), anonymous.close(), gcm.close()]);
    }
  });

  it('InstanceID.getToken(vapidPublicKey) is restricted the same way', async () => {
    const options = app(daemon.socketPath);
    const token = await InstanceID.getInstance(options).getToken(appServer.publicKey, InstanceID.INSTANCE_ID_SCOPE);
    const stranger = sender(await generateVapidKeys());
    try {
      expect((await stranger.send(new Message({ data: { text: 'x' } }), token)).results).toEqual([{ error: 'MismatchSenderId' }]);
    } finally {
      await stranger.close();
      await GoogleCloudMessaging.getInstance(options).close();
    }
  });

  it('a numeric sender id makes a bearer token: any holder can push to it', async () => {
    const gcm = GoogleCloudMessaging.getInstance(app(daemon.socketPath));
    const anonymous = sender();
    try {
      const token = await gcm.register('123456789');
      expect((await anonymous.send(new Message({ data: { text: 'anyone' } }), token)).success).toBe(1);
    } finally {
      await Promise.all([anonymous.close(), gcm.close()]);
    }
  });

  it('a daemon with requireVapid refuses a numeric sender id as INVALID_SENDER and takes a VAPID key', async () => {
    const gcm = GoogleCloudMessaging.getInstance(app(strict.socketPath));
    try {
      const refused = await gcm.register('123456789').catch((error: unknown) => error);
      expect(isFosspushError(refused, 'VAPID_REQUIRED')).toBe(true);
      expect((refused as Error).message).toBe('INVALID_SENDER');
      const token = await gcm.register(appServer.publicKey);
      const stranger = sender();
      expect((await stranger.send(new Message({ data: { text: 'x' } }), token)).results).toEqual([{ error: 'AuthenticationError' }]);
      await stranger.close();
    } finally {
      await gcm.close();
    }
  });
});
