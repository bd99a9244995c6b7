import { chmod, chown, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GcmListenerService, GoogleCloudMessaging, type ReceivedMessage } from '@fosspush/client';
import { connectIpc } from '@fosspush/ipc';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DAEMON, exitCodeOf, push, type Running, run, startDaemon, startPushServer, untilStatus } from './rigs.js';

const SLOW = { timeout: 30_000, interval: 100 };

describe('fosspushd on this machine: socket safety, honest status, IPv6 loopback', { timeout: 120_000 }, () => {
  let dir: string;
  const running: Running[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fplocal-'));
  });
  afterEach(async () => {
    for (const process of running.splice(0).reverse()) await process.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('exits 3 with INSECURE_PATH when its socket folder is a sticky folder another user made', async () => {
    const shared = join(dir, 'fosspush-1000');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    await chown(shared, 5001, 5001);
    const daemon = run(DAEMON, ['--server', 'http://127.0.0.1:1', '--data', join(dir, 'data'), '--socket', join(shared, 'daemon.sock')]);
    running.push(daemon);
    expect(await exitCodeOf(daemon)).toBe(3);
    expect(daemon.output()).toMatch(/socket folder .* belongs to uid 5001.*\[INSECURE_PATH\]/);
    await expect(stat(join(shared, 'daemon.sock'))).rejects.toThrow(/ENOENT/);
  });

  it('status against an unreachable server: reconnecting with the error, never connected', async () => {
    const socketPath = join(dir, 'd.sock');
    const daemon = await startDaemon({ serverUrl: 'http://127.0.0.1:1', dataDir: join(dir, 'data'), socketPath });
    running.push(daemon);
    const seen = new Set<string>();
    await untilStatus(socketPath, (status) => {
      const account = status.accounts[0];
      seen.add(account?.state ?? 'none');
      return account?.state === 'reconnecting' && /unreachable/.test(account.lastError ?? '');
    });
    // Through a few retries, the account never claims to be connected.
    const deadline = Date.now() + 1500;
    while (Date.now() < deadline) {
      const ipc = await connectIpc({ socketPath });
      seen.add((await ipc.call('status', {})).accounts[0]?.state ?? 'none');
      ipc.close();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.has('connected')).toBe(false);

    const status = run(DAEMON, ['status', '--socket', socketPath]);
    expect(await exitCodeOf(status)).toBe(0);
    expect(status.output()).toMatch(/default\s+\S+\s+reconnecting\s+0\s+http:\/\/127\.0\.0\.1:1\s+.*unreachable/);
  });

  it('an account on http://[::1]:PORT registers, connects and delivers', async () => {
    const server = await startPushServer({ db: join(dir, 'server.db'), host: '[::1]' });
    running.push(server);
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    const socketPath = join(dir, 'd.sock');
    running.push(await startDaemon({ serverUrl: server.url, dataDir: join(dir, 'data'), socketPath }));

    const gcm = GoogleCloudMessaging.getInstance({ appId: 'org.example.ipv6', socketPath, keyFile: join(dir, 'apps', 'ipv6.json') });
    const received: ReceivedMessage[] = [];
    gcm.setListener(
      new (class extends GcmListenerService {
        override onMessageReceived(_from: string, _data: Record<string, string>, message: ReceivedMessage) {
          received.push(message);
        }
      })(),
    );
    try {
      const token = await gcm.register('1234');
      await untilStatus(socketPath, (s) => s.accounts[0]?.state === 'connected' && s.accounts[0].target === server.url);
      await push(token, { text: 'over IPv6' });
      await vi.waitFor(() => expect(received.map((m) => m.data['text'])).toEqual(['over IPv6']), SLOW);
    } finally {
      await gcm.close();
    }
  });
});
