import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMessaging } from '@fosspush/client';
import { decodeToken } from '@fosspush/core';
import { getMessaging as getSenderMessaging, Message, Sender } from '@fosspush/sender';
import { type ProsodyRig, startProsody } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DaemonProcess, startDaemon, untilStatus } from './rigs.js';

/**
 * fosspushd with an XMPP account on a real Prosody with mod_unified_push, over STARTTLS with the
 * server's own CA: no push server of ours anywhere. The app uses the client SDK as with any account; the app server uses the
 * sender SDK in both shapes against the Web Push endpoint on the user's XMPP server.
 */
describe('fosspushd with an XMPP account', { timeout: 120_000 }, () => {
  let dir: string;
  let prosody: ProsodyRig;
  let daemon: DaemonProcess;
  let config: string;
  const socketPath = () => join(dir, 'd.sock');
  const start = () => startDaemon({ config, dataDir: join(dir, 'daemon'), socketPath: socketPath() });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpxmpp-'));
    prosody = await startProsody({ tls: true });
    config = join(dir, 'fosspushd.json');
    const [alice] = prosody.users;
    await writeFile(join(dir, 'xmpp-password'), `${alice.password}\n`);
    // STARTTLS, trusting the server's own CA from a file beside the config: no allowPlaintext.
    await writeFile(join(dir, 'xmpp-ca.pem'), prosody.tls?.ca as string);
    const account = { id: 'xmpp', type: 'xmpp', jid: alice.jid, passwordFile: 'xmpp-password', caFile: 'xmpp-ca.pem', host: prosody.host, port: prosody.c2sPort };
    await writeFile(config, JSON.stringify({ accounts: [account] }));
    daemon = await start();
    await untilStatus(socketPath(), (s) => s.accounts.every((a) => a.state === 'connected'));
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await prosody?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers node-gcm and firebase-admin sends, and keeps the token across a SIGKILL', async () => {
    // `fosspushd status` shows the account: its kind, the JID (never the password) and its state.
    await untilStatus(socketPath(), (s) => s.accounts.length === 1 && s.accounts[0]?.kind === 'xmpp' && s.accounts[0]?.target === prosody.users[0].jid && s.accounts[0]?.state === 'connected');
    const options = { appId: 'org.example.xmpp', socketPath: socketPath(), keyFile: join(dir, 'app.json') };
    let app = getMessaging(options);
    const token = await app.getToken();
    expect(decodeToken(token)).toMatchObject({ channel: 'webpush' });
    expect(decodeToken(token).endpoint.startsWith(`http://127.0.0.1:${prosody.httpPort}/push/`)).toBe(true);
    const received: string[] = [];
    const listen = () => app.onMessage((payload) => received.push(payload.data?.['n'] ?? ''));
    listen();

    const sender = new Sender({});
    const gcm = await sender.send(new Message({ data: { n: 'gcm' } }), [token]);
    expect(gcm.success).toBe(1);
    const fcm = getSenderMessaging({});
    expect(await fcm.send({ token, data: { n: 'fcm' } })).toMatch(/.+/);
    await vi.waitFor(() => expect(received.sort()).toEqual(['fcm', 'gcm']), { timeout: 20_000, interval: 100 });

    await app.close();
    await daemon.stop('SIGKILL');
    daemon = await start();
    await untilStatus(socketPath(), (s) => s.accounts.every((a) => a.state === 'connected') && s.registrations.length === 1);
    app = getMessaging(options);
    expect(await app.getToken()).toBe(token);
    listen();
    await sender.send(new Message({ data: { n: 'after restart' } }), [token]);
    await vi.waitFor(() => expect(received).toContain('after restart'), { timeout: 20_000, interval: 100 });
    expect(received.filter((n) => n === 'gcm')).toHaveLength(1);
    await sender.close();
    await fcm.close();
    await app.close();
  });
});

/**
 * Endpoint renewal mid-run against Prosody's real expiry: registrations live 6 s here (a day by
 * default), so the daemon renews at about 4-5 s and the app hears its new token.
 */
describe('fosspushd renews XMPP endpoints before they expire', { timeout: 120_000 }, () => {
  let dir: string;
  let prosody: ProsodyRig;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpxmpp-renew-'));
    prosody = await startProsody({ registrationTtlSeconds: 6 });
    const [alice] = prosody.users;
    const account = { id: 'xmpp', type: 'xmpp', jid: alice.jid, password: alice.password, host: prosody.host, port: prosody.c2sPort, allowPlaintext: true };
    const config = join(dir, 'fosspushd.json');
    await writeFile(config, JSON.stringify({ accounts: [account] }));
    daemon = await startDaemon({ config, dataDir: join(dir, 'daemon'), socketPath: join(dir, 'd.sock') });
    await untilStatus(join(dir, 'd.sock'), (s) => s.accounts.every((a) => a.state === 'connected'));
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await prosody?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the app a new token (onTokenRefresh) before the old endpoint expires, and the new one delivers', async () => {
    const app = getMessaging({ appId: 'org.example.renew', socketPath: join(dir, 'd.sock'), keyFile: join(dir, 'app.json') });
    const first = await app.getToken();
    const refreshed: string[] = [];
    app.onTokenRefresh((token) => refreshed.push(token));
    const received: string[] = [];
    app.onMessage((payload) => received.push(payload.data?.['n'] ?? ''));
    await vi.waitFor(() => expect(refreshed.length).toBeGreaterThan(0), { timeout: 20_000, interval: 100 });
    const renewed = refreshed[0] as string;
    expect(decodeToken(renewed).endpoint).not.toBe(decodeToken(first).endpoint);
    expect(decodeToken(renewed).p256dh).toBe(decodeToken(first).p256dh);

    const sender = new Sender({});
    expect((await sender.send(new Message({ data: { n: 'renewed' } }), [renewed])).success).toBe(1);
    await vi.waitFor(() => expect(received).toContain('renewed'), { timeout: 20_000, interval: 100 });
    // The first endpoint is past its 6 s now: Prosody refuses it (404), which senders read as NotRegistered.
    await vi.waitFor(async () => expect(await fetch(decodeToken(first).endpoint, { method: 'POST', body: 'x' }).then((r) => r.status)).toBe(404), { timeout: 20_000, interval: 500 });
    await sender.close();
    await app.close();
  });
});
