import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelStateStore } from '@fosspush/core';
import { createFakeChannel, type DbusRig, type FakeChannel, type IndependentConnector, startDbus, startIndependentConnector } from '@fosspush/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDaemon, type Daemon, type DaemonOptions } from '../src/index.js';

const VAPID = `B${'A'.repeat(86)}`;

describe('the UnifiedPush distributor inside the daemon (fake channel, real dbus-daemon)', () => {
  let rig: DbusRig;
  let dir: string;
  let daemon: Daemon | undefined;
  let channel: FakeChannel;
  let channelState: ChannelStateStore;
  const connectors: IndependentConnector[] = [];

  beforeAll(async () => {
    rig = await startDbus();
  });
  afterAll(async () => {
    await rig?.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fosspushd-up-'));
  });
  afterEach(async () => {
    for (const connector of connectors.splice(0)) connector.close();
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(overrides: Partial<DaemonOptions> = {}, connected = true): Promise<Daemon> {
    daemon = createDaemon({
      dataDir: join(dir, 'data'),
      socketPath: join(dir, 'd.sock'),
      accounts: [{ id: 'home', type: 'push-server', url: 'https://push.example' }],
      createChannel: (_, { state }) => {
        channelState = state;
        channel = createFakeChannel(state);
        if (!connected) channel.failConnects = 1_000;
        return channel;
      },
      reconnectInitialDelayMs: 10,
      ...overrides,
      unifiedPush: { busAddress: rig.address, enabled: true, redeliveryIntervalMs: 200, ...overrides.unifiedPush },
    });
    await daemon.start();
    if (connected) await vi.waitFor(() => expect(channel.state).toBe('connected'));
    return daemon;
  }
  const connector = async (service: string) => {
    const made = await startIndependentConnector({ address: rig.address, service, version: 2 });
    connectors.push(made);
    return made;
  };

  it('calls NewEndpoint again when the push server forgot the subscription and a new endpoint was made', async () => {
    await start();
    const app = await connector('org.example.Moved');
    await app.register('moved-token', { vapid: VAPID });
    await vi.waitFor(() => expect(app.endpoints.get('moved-token')).toBe('https://push.example/p/sub1'));
    expect(channel.subscribed.get('sub1')).toEqual({ vapidPublicKey: VAPID });

    await channelState.delete('sub/sub1');
    await channel.close();
    await vi.waitFor(() => expect(app.endpoints.get('moved-token')).toBe('https://push.example/p/sub2'));
    expect(channel.subscribed.get('sub2')).toEqual({ vapidPublicKey: VAPID });
  });

  it('calls NewEndpoint when the channel renews the endpoint mid-run', async () => {
    await start();
    const app = await connector('org.example.Renewed');
    await app.register('renewed-token', { vapid: VAPID });
    await vi.waitFor(() => expect(app.endpoints.get('renewed-token')).toBe('https://push.example/p/sub1'));
    channel.renew('sub1', 'https://push.example/p/sub1-next');
    await vi.waitFor(() => expect(app.endpoints.get('renewed-token')).toBe('https://push.example/p/sub1-next'));
  });

  it('answers NETWORK while the account is not connected, and VAPID_REQUIRED when configured so', async () => {
    await start({ unifiedPush: { requireVapid: true } }, false);
    const app = await connector('org.example.Early');
    expect(await app.register('early-token', { vapid: VAPID })).toEqual({ success: 'REGISTRATION_FAILED', reason: 'NETWORK' });
    expect(await app.register('early-token')).toEqual({ success: 'REGISTRATION_FAILED', reason: 'VAPID_REQUIRED' });
  });

  it('drops a push without a body instead of offering it forever, and delivers the next one', async () => {
    await start();
    const app = await connector('org.example.Empty');
    await app.register('empty-token');
    await vi.waitFor(() => expect(app.endpoints.size).toBe(1));
    channel.push('sub1', { payload: new Uint8Array(0) });
    const next = channel.push('sub1', { payload: new Uint8Array([9, 9]) });
    await vi.waitFor(() => expect(app.messages.map((m) => m.id)).toEqual([next.id]));
    await vi.waitFor(async () => expect((await daemon?.status())?.registrations[0]?.queued).toBe(0));
  });

  it('tells the app it was dropped when its account is gone from the configuration', async () => {
    await start();
    const app = await connector('org.example.Dropped');
    await app.register('dropped-token');
    await vi.waitFor(() => expect(app.endpoints.size).toBe(1));
    await daemon?.stop();
    await start({ accounts: [{ id: 'work', type: 'push-server', url: 'https://other.example' }] });
    await vi.waitFor(() => expect(app.unregistered).toEqual(['dropped-token']));
    expect((await daemon?.status())?.registrations).toEqual([]);
  });

  it('reports, and serves SDK apps on, when another process holds the name (enabled: auto)', async () => {
    const holder = await startIndependentConnector({ address: rig.address, service: 'org.unifiedpush.Distributor.fosspush', version: 2 });
    connectors.push(holder);
    const lines: string[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (event: string, fields?: Record<string, unknown>) => void lines.push(`${event} ${String(fields?.['reason'])}`) };
    await start({ logger, unifiedPush: { enabled: 'auto' } });
    expect(lines).toContainEqual(expect.stringMatching(/^unifiedpush_unavailable cannot own the D-Bus name org\.unifiedpush\.Distributor\.fosspush: another process holds it \(owned by :1\.\d+, pid \d+\)/));
    await daemon?.stop();
    daemon = undefined;
    await expect(start({ unifiedPush: { enabled: true } })).rejects.toThrow(/cannot own the D-Bus name/);
  });
});
