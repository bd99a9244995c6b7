// UnifiedPush delivery latency against the IPC path, in the same run, to the same daemon:
// POST to the push server -> fosspushd -> (a) a D-Bus connector (@fosspush/dbus on a private
// dbus-daemon), (b) an SDK app over IPC. Both decrypt what they get, so the rows differ only in
// the last hop. Samples alternate between the two paths so that machine noise hits both alike.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMessaging } from '@fosspush/client';
import { decryptWebPush, encodeToken, generateSubscriptionKeys, utf8Decode } from '@fosspush/core';
import { connectSessionBus, createConnector } from '@fosspush/dbus';
import { percentile, reportBench, startDbus } from '@fosspush/testing';
import { push, startDaemon, startPushServer, untilStatus } from '../test/rigs.js';

/** Under the push server's per-subscription burst (100), so the limiter is never measured. */
const SAMPLES = 80;
const TARGET_RATIO = 1.5;

const dir = await mkdtemp(join(tmpdir(), 'fosspushd-up-bench-'));
const bus = await startDbus();
process.env['DBUS_SESSION_BUS_ADDRESS'] = bus.address;
const server = await startPushServer({ db: join(dir, 'server.db') });
const config = join(dir, 'fosspushd.json');
await writeFile(config, JSON.stringify({ accounts: [{ id: 'home', type: 'push-server', url: server.url }], unifiedpush: { enabled: true } }));
const socketPath = join(dir, 'd.sock');
const daemon = await startDaemon({ config, dataDir: join(dir, 'daemon'), socketPath });
const stops: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true }), () => bus.stop(), () => server.stop(), () => daemon.stop()];

try {
  await untilStatus(socketPath, (status) => status.accounts[0]?.state === 'connected');
  const arrivals = new Map<string, () => void>();
  const arrived = (text: string) => arrivals.get((JSON.parse(text) as { data: { n: string } }).data.n)?.();

  // (a) UnifiedPush: our connector, on its own connection to the bus.
  const keys = await generateSubscriptionKeys();
  const connection = await connectSessionBus({ address: bus.address });
  stops.push(() => connection.close());
  let endpoint = '';
  const connector = createConnector({
    bus: connection,
    service: 'org.bench.UnifiedPush',
    onNewEndpoint: (_token, url) => {
      endpoint = url;
    },
    onMessage: async (_token, message) => arrived(utf8Decode(await decryptWebPush(message, keys))),
    onUnregistered: () => {},
  });
  await connector.start();
  const registered = await connector.register({ token: 'bench-token', distributor: 'org.unifiedpush.Distributor.fosspush' });
  if (!registered.success) throw new Error(`UnifiedPush registration failed: ${registered.reason}`);
  while (endpoint === '') await new Promise((resolve) => setTimeout(resolve, 10));
  const upToken = encodeToken({ channel: 'webpush', endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: {} });

  // (b) IPC: an SDK app (which decrypts inside the SDK).
  const messaging = getMessaging({ appId: 'org.bench.ipc', socketPath, keyFile: join(dir, 'ipc-app.json') });
  stops.push(() => messaging.close());
  const ipcToken = await messaging.getToken();
  messaging.onMessage((message) => arrivals.get(message.data?.['n'] ?? '')?.());

  const sample = async (token: string, n: string) => {
    const done = new Promise<void>((resolve) => arrivals.set(n, resolve));
    const started = performance.now();
    await push(token, { n });
    await done;
    arrivals.delete(n);
    return performance.now() - started;
  };
  const viaDbus: number[] = [];
  const viaIpc: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    viaDbus.push(await sample(upToken, `d${i}`));
    viaIpc.push(await sample(ipcToken, `i${i}`));
  }
  reportBench('daemon-unifiedpush', [
    {
      name: 'push server -> app, p50, D-Bus vs IPC',
      unit: 'ms',
      higherIsBetter: false,
      ours: { label: 'via fosspushd, D-Bus connector, decryption', value: percentile(viaDbus, 50) },
      baseline: { label: 'via fosspushd, IPC and SDK decryption', value: percentile(viaIpc, 50) },
      target: TARGET_RATIO,
      extra: { oursP99: percentile(viaDbus, 99), baselineP99: percentile(viaIpc, 99), samples: SAMPLES },
    },
  ]);
  await connector.close();
} finally {
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
}
