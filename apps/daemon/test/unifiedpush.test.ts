// UnifiedPush end to end, every part real and separate: a private dbus-daemon, fosspush-server
// and fosspushd as processes, connectors written on dbus-next (a D-Bus library we do not use),
// `gdbus` as a caller without a bus name, the `web-push` library as the app server.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decryptWebPush, generateSubscriptionKeys, type SubscriptionKeys, utf8Decode } from '@fosspush/core';
import { connectIpc } from '@fosspush/ipc';
import { type DbusRig, type IndependentConnector, startDbus, startIndependentConnector } from '@fosspush/testing';
import webpush from 'web-push';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DaemonProcess, type PushServerProcess, startDaemon, startPushServer, untilStatus } from './rigs.js';

const SLOW = { timeout: 20_000, interval: 50 };
const DISTRIBUTOR = 'org.unifiedpush.Distributor.fosspush';

/** The app server: web-push builds the RFC 8291/8292 request, fetch sends it (web-push refuses plain http). */
async function sendWithWebPush(endpoint: string, keys: SubscriptionKeys, text: string, vapid?: { publicKey: string; privateKey: string }): Promise<Response> {
  const details = webpush.generateRequestDetails({ endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } }, text, {
    TTL: 600,
    contentEncoding: 'aes128gcm',
    ...(vapid ? { vapidDetails: { subject: 'mailto:ops@example.org', ...vapid } } : {}),
  });
  const headers = Object.fromEntries(Object.entries(details.headers).filter(([name]) => name.toLowerCase() !== 'content-length').map(([n, v]) => [n, String(v)]));
  return fetch(details.endpoint, { method: details.method, headers, body: new Uint8Array(details.body as Buffer) });
}

describe('fosspushd as a UnifiedPush distributor', { timeout: 120_000 }, () => {
  let dir: string;
  let bus: DbusRig;
  let server: PushServerProcess;
  let daemon: DaemonProcess;
  const connectors: IndependentConnector[] = [];
  const config = () => join(dir, 'fosspushd.json');
  const startTheDaemon = async () => {
    daemon = await startDaemon({ config: config(), dataDir: join(dir, 'daemon'), socketPath: join(dir, 'd.sock') });
    await vi.waitFor(async () => expect(await bus.gdbus(['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.NameHasOwner', DISTRIBUTOR])).toContain('true'), SLOW);
  };
  const connector = async (service: string, version: 1 | 2) => {
    const made = await startIndependentConnector({ address: bus.address, service, version });
    connectors.push(made);
    return made;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fosspush-up-'));
    bus = await startDbus();
    // The daemon finds the session bus as in a desktop session: from its environment.
    process.env['DBUS_SESSION_BUS_ADDRESS'] = bus.address;
    server = await startPushServer({ db: join(dir, 'server.db') });
    await writeFile(config(), JSON.stringify({ accounts: [{ id: 'home', type: 'push-server', url: server.url }], unifiedpush: { redeliveryIntervalMs: 1000 } }));
    await startTheDaemon();
    await untilStatus(daemon.socketPath, (status) => status.accounts[0]?.state === 'connected');
  });
  afterAll(async () => {
    for (const made of connectors) made.close();
    await daemon?.stop();
    await server?.stop();
    await bus?.stop();
    delete process.env['DBUS_SESSION_BUS_ADDRESS'];
    await rm(dir, { recursive: true, force: true });
  });

  it('v2: registers with a VAPID key, gets its endpoint, and decrypts what web-push sent', async () => {
    const app = await connector('org.example.ChatTwo', 2);
    const vapid = webpush.generateVAPIDKeys();
    const keys = await generateSubscriptionKeys();
    expect(await app.register('chat-two-token', { description: 'alice', vapid: vapid.publicKey })).toEqual({ success: 'REGISTRATION_SUCCEEDED' });
    await vi.waitFor(() => expect(app.endpoints.get('chat-two-token')).toMatch(new RegExp(`^${server.url}/p/`)), SLOW);
    const endpoint = app.endpoints.get('chat-two-token') as string;

    // The VAPID key went through: the push server holds the endpoint to it (RFC 8292).
    expect((await sendWithWebPush(endpoint, keys, 'unsigned')).status).toBe(401);
    expect((await sendWithWebPush(endpoint, keys, 'hello over D-Bus', vapid)).status).toBe(201);
    await vi.waitFor(() => expect(app.messages).toHaveLength(1), SLOW);
    const [received] = app.messages;
    expect(received?.token).toBe('chat-two-token');
    expect(received?.id).not.toBe('');
    expect(utf8Decode(await decryptWebPush(received?.message as Uint8Array, keys))).toBe('hello over D-Bus');

    // Registering again (as apps do at every start) gives the same endpoint, again.
    app.endpoints.clear();
    await app.register('chat-two-token', { vapid: vapid.publicKey });
    await vi.waitFor(() => expect(app.endpoints.get('chat-two-token')).toBe(endpoint), SLOW);

    const status = await connectIpc({ socketPath: daemon.socketPath }).then(async (ipc) => {
      const result = await ipc.call('status', {});
      ipc.close();
      return result;
    });
    expect(status.registrations).toContainEqual(expect.objectContaining({ appId: 'org.example.ChatTwo', account: 'home', via: 'unifiedpush' }));
  });

  it('v1: Register(s,s,s), NewEndpoint, then a message web-push sent without VAPID', async () => {
    const app = await connector('org.example.ChatOne', 1);
    const keys = await generateSubscriptionKeys();
    expect(await app.register('chat-one-token', { description: 'bob' })).toEqual({ success: 'REGISTRATION_SUCCEEDED' });
    await vi.waitFor(() => expect(app.endpoints.get('chat-one-token')).toMatch(/\/p\//), SLOW);
    expect((await sendWithWebPush(app.endpoints.get('chat-one-token') as string, keys, 'hello v1')).status).toBe(201);
    await vi.waitFor(() => expect(app.messages).toHaveLength(1), SLOW);
    expect(utf8Decode(await decryptWebPush(app.messages[0]?.message as Uint8Array, keys))).toBe('hello v1');
  });

  it('keeps apps apart: no taking, unregistering or receiving another app\'s token, and no caller without the bus name', async () => {
    const owner = await connector('org.example.Owner', 2);
    const other = await connector('org.example.Other', 2);
    const keys = await generateSubscriptionKeys();
    await owner.register('owner-token');
    await vi.waitFor(() => expect(owner.endpoints.get('owner-token')).toBeDefined(), SLOW);
    expect(await other.register('owner-token')).toEqual({ success: 'REGISTRATION_FAILED', reason: 'UNAUTHORIZED' });
    await other.unregister('owner-token');
    const gdbus = await bus.gdbus([
      'call', '--session', '--dest', DISTRIBUTOR, '--object-path', '/org/unifiedpush/Distributor',
      '--method', 'org.unifiedpush.Distributor2.Register', "{'service': <'org.example.Owner'>, 'token': <'gdbus-token'>}",
    ]);
    expect(gdbus).toContain("'reason': <'UNAUTHORIZED'>");

    expect((await sendWithWebPush(owner.endpoints.get('owner-token') as string, keys, 'only for the owner')).status).toBe(201);
    await vi.waitFor(() => expect(owner.messages).toHaveLength(1), SLOW);
    expect(other.messages).toEqual([]);
    expect(other.endpoints.size).toBe(0);

    await owner.unregister('owner-token');
    await vi.waitFor(() => expect(owner.unregistered).toEqual(['owner-token']), SLOW);
  });

  it('forwards a Matrix notification, posted as Synapse posts it, to the connector', async () => {
    const app = await connector('org.example.Matrix', 2);
    await app.register('matrix-token');
    await vi.waitFor(() => expect(app.endpoints.get('matrix-token')).toBeDefined(), SLOW);
    const body = JSON.stringify({
      notification: {
        event_id: '$event', room_id: '!room:example.org', type: 'm.room.message', sender: '@bob:example.org', prio: 'high',
        counts: { unread: 1 },
        devices: [{ app_id: 'org.example.Matrix', pushkey: app.endpoints.get('matrix-token'), pushkey_ts: 1, data: { format: 'event_id_only' } }],
      },
    });
    const response = await fetch(`${server.url}/_matrix/push/v1/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(await response.json()).toEqual({ rejected: [] });
    await vi.waitFor(() => expect(app.messages).toHaveLength(1), SLOW);
    expect(utf8Decode(app.messages[0]?.message as Uint8Array)).toBe(body);
  });

  it('keeps what the app did not acknowledge across a daemon restart and while the app is away, then redelivers it', async () => {
    const app = await connector('org.example.Restart', 2);
    const keys = await generateSubscriptionKeys();
    await app.register('restart-token');
    await vi.waitFor(() => expect(app.endpoints.get('restart-token')).toBeDefined(), SLOW);
    app.acknowledge = false;
    expect((await sendWithWebPush(app.endpoints.get('restart-token') as string, keys, 'keep me')).status).toBe(201);
    await vi.waitFor(() => expect(app.messages.length).toBeGreaterThan(0), SLOW);
    const firstId = app.messages[0]?.id;

    // Unacknowledged, so it is offered again (the same message) on the timer.
    await vi.waitFor(() => expect(app.messages.slice(1).map((m) => m.id)).toContain(firstId), SLOW);
    app.close();
    await daemon.stop('SIGKILL');
    await startTheDaemon();

    // The app comes back later, without registering: the daemon sees its name on the bus.
    const back = await connector('org.example.Restart', 2);
    await vi.waitFor(() => expect(back.messages.length).toBeGreaterThan(0), SLOW);
    expect(back.messages[0]?.id).toBe(firstId);
    expect(utf8Decode(await decryptWebPush(back.messages[0]?.message as Uint8Array, keys))).toBe('keep me');
    // Acknowledged now: it is not offered again.
    await untilStatus(daemon.socketPath, (status) => status.registrations.some((r) => r.appId === 'org.example.Restart' && r.queued === 0));
  });
});
