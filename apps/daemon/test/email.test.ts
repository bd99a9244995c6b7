import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcmListenerService, GoogleCloudMessaging, getMessaging, InstanceID } from '@fosspush/client';
import { decodeToken, generateEmailIdentity } from '@fosspush/core';
import { createSmtpTransport } from '@fosspush/imap';
import { Message, Sender } from '@fosspush/sender';
import { type MailRig, startMailRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DaemonProcess, deviceConnections, type PushServerProcess, push, startDaemon, startPushServer, untilStatus } from './rigs.js';

/**
 * One daemon with two accounts: a push server and a mailbox (Dovecot + Postfix on loopback).
 * Apps pick the account when they register; each account is one connection however many
 * apps use it, and the app never sees the difference.
 */
describe('fosspushd with a push-server account and an email account', { timeout: 120_000 }, () => {
  let dir: string;
  let rig: MailRig;
  let server: PushServerProcess;
  let daemon: DaemonProcess;
  let sender: Sender;
  const socketPath = () => join(dir, 'd.sock');
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpmail-'));
    rig = await startMailRig({ users: ['device'] });
    const user = rig.users['device'];
    if (!user) throw new Error('no rig user');
    server = await startPushServer({ db: join(dir, 'server.db') });
    const config = join(dir, 'fosspushd.json');
    await writeFile(
      config,
      JSON.stringify({
        defaultAccount: 'home',
        accounts: [
          { id: 'home', type: 'push-server', url: server.url },
          {
            id: 'mail',
            type: 'email',
            options: {
              address: user.address,
              imap: { host: rig.host, port: rig.ports.imap, secure: false, auth: { user: user.name, pass: user.password } },
            },
          },
        ],
      }),
    );
    daemon = await startDaemon({ config, dataDir: join(dir, 'daemon'), socketPath: socketPath() });
    await untilStatus(socketPath(), (s) => s.accounts.every((a) => a.state === 'connected'));
    const identity = await generateEmailIdentity('push@app.example');
    sender = new Sender({ email: { identity, smtp: createSmtpTransport({ host: rig.host, port: rig.ports.smtp }) } });
  }, 120_000);
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup().catch(() => {});
    await sender?.close();
    await daemon?.stop();
    await server?.stop();
    await rig?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers over the mailbox and over the push server to apps of one daemon', async () => {
    const mailOptions = { appId: 'org.example.mailpush', socketPath: socketPath(), keyFile: join(dir, 'mail.json') };
    const mailApp = GoogleCloudMessaging.getInstance(mailOptions);
    const webApp = getMessaging({ appId: 'org.example.webpush', socketPath: socketPath(), keyFile: join(dir, 'web.json') });
    // The account is chosen at registration (InstanceID takes it); GCM's register then finds the same token.
    const iid = InstanceID.getInstance(mailOptions);
    const emailToken = await iid.getToken('42', 'GCM', { account: 'mail' });
    expect(decodeToken(emailToken)).toMatchObject({ channel: 'email', endpoint: `mailto:${rig.users['device']?.address}` });
    expect(await mailApp.register('42')).toBe(emailToken);
    const webToken = await webApp.getToken();
    expect(decodeToken(webToken).channel).toBe('webpush');

    const mailReceived: Record<string, string>[] = [];
    mailApp.setListener(
      new (class extends GcmListenerService {
        override onMessageReceived(_from: string, data: Record<string, string>) {
          mailReceived.push(data);
        }
      })(),
    );
    const webReceived: string[] = [];
    cleanups.push(() => mailApp.close(), () => webApp.close());
    webApp.onMessage((payload) => {
      webReceived.push(payload.data?.['via'] ?? '');
    });

    const response = await sender.send(new Message({ data: { via: 'email' } }), emailToken);
    expect(response.success).toBe(1);
    await push(webToken, { via: 'push server' });
    await vi.waitFor(() => expect(mailReceived).toEqual([{ via: 'email' }]), { timeout: 60_000, interval: 100 });
    await vi.waitFor(() => expect(webReceived).toEqual(['push server']), { timeout: 30_000, interval: 100 });
    expect(await deviceConnections(server.url)).toBe(1);
    await untilStatus(socketPath(), (s) => s.accounts.find((a) => a.id === 'mail')?.kind === 'email' && s.registrations.length === 2);
  });
});
