import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMessaging } from '@fosspush/client';
import { decodeToken } from '@fosspush/core';
import { getMessaging as getSenderMessaging, Message, Sender } from '@fosspush/sender';
import { type DhtRig, startDhtRig } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DaemonProcess, startDaemon, untilStatus } from './rigs.js';

/**
 * fosspushd with an OpenDHT account, against real dhtnodes: no push server anywhere. The app
 * uses the client SDK as with any account; the app server uses the sender SDK in both shapes,
 * through another proxy than the device's.
 */
describe('fosspushd with a DHT account', { timeout: 120_000 }, () => {
  let dir: string;
  let dht: DhtRig;
  let daemon: DaemonProcess;
  let config: string;
  const socketPath = () => join(dir, 'd.sock');
  const start = () => startDaemon({ config, dataDir: join(dir, 'daemon'), socketPath: socketPath() });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpdht-'));
    dht = await startDhtRig({ nodes: 3 });
    config = join(dir, 'fosspushd.json');
    const proxies = dht.nodes.slice(0, 2).map((node) => node.url);
    await writeFile(config, JSON.stringify({ accounts: [{ id: 'dht', type: 'dht', proxies }] }));
    daemon = await start();
    await untilStatus(socketPath(), (s) => s.accounts.every((a) => a.state === 'connected'));
  }, 120_000);
  afterAll(async () => {
    await daemon?.stop();
    await dht?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers node-gcm and firebase-admin sends, and keeps the token across a SIGKILL', async () => {
    const options = { appId: 'org.example.dht', socketPath: socketPath(), keyFile: join(dir, 'app.json') };
    let app = getMessaging(options);
    const token = await app.getToken();
    expect(decodeToken(token)).toMatchObject({ channel: 'dht' });
    expect(decodeToken(token).endpoint.startsWith(`${dht.nodes[0]?.url}/key/`)).toBe(true);
    const received: string[] = [];
    const listen = () => app.onMessage((payload) => received.push(payload.data?.['n'] ?? ''));
    listen();

    // The app server puts through the third node's proxy, which the device never talks to.
    const senderOptions = { dht: { proxies: [dht.nodes[2]?.url as string] } };
    const sender = new Sender(senderOptions);
    const gcm = await sender.send(new Message({ data: { n: 'gcm' } }), [token]);
    expect(gcm.success).toBe(1);
    const fcm = getSenderMessaging(senderOptions);
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
    // Acked before the kill: the replayed values are not delivered again.
    expect(received.filter((n) => n === 'gcm')).toHaveLength(1);
    await sender.close();
    await fcm.close();
    await app.close();
  });
});
