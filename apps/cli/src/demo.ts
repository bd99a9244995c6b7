import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMessaging, type MessagePayload, type Messaging } from '@fosspush/client';
import { generateVapidKeys, silentLogger } from '@fosspush/core';
import { Sender } from '@fosspush/sender';
import { createPushServer, type PushServer } from '@fosspush/server';
import { createDaemon, type Daemon } from '@fosspush/daemon';
import { sendToToken } from './deliver-token.js';
import { type DemoEndpoint, startDemoEndpoint } from './demo-endpoint.js';

export interface DemoOptions {
  /** Where the push server's and the daemon's databases live. @default a new temporary folder, removed on stop */
  dataDir?: string;
  /** The push server's port on 127.0.0.1. @default 0 (any free port) */
  serverPort?: number;
  /** The `POST /send` helper's port on 127.0.0.1. @default 0 (any free port) */
  sendPort?: number;
  /** Lines for people. @default console.log */
  print?: (line: string) => void;
}

export interface DemoDelivery {
  payload: MessagePayload;
  /** From the push server accepting the message to the app holding it decrypted. */
  latencyMs: number;
}

export interface Demo {
  readonly serverUrl: string;
  readonly sendUrl: string;
  readonly token: string;
  readonly tokenFile: string;
  readonly firstDelivery: DemoDelivery;
  /** Sends data to the demo app through the push server, as an app server would. */
  send(data: Record<string, string>): Promise<string>;
  stop(): Promise<void>;
}

export const DEMO_APP_ID = 'org.fosspush.demo';

/**
 * The whole path on one machine, with nothing to configure: a push server (SQLite), fosspushd
 * holding one connection to it, a demo app registered through the client SDK, and an app
 * server (the sender SDK) that encrypts a message to the app's keys and posts it. Everything
 * runs in this process; the daemon and the app still talk over the real IPC socket.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const print = options.print ?? ((line: string) => console.log(line));
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'fosspush-demo-')));
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  if (ownDir) cleanups.push(() => rm(dataDir, { recursive: true, force: true }));

  try {
    const server: PushServer = createPushServer({ storage: { kind: 'sqlite', path: join(dataDir, 'server.db') }, logger: silentLogger, processMetrics: false });
    cleanups.push(() => server.close());
    const serverUrl = (await server.listen(options.serverPort ?? 0, '127.0.0.1')).replace(/\/$/, '');
    print(`push server   ${serverUrl}   (SQLite in ${dataDir})`);

    const socketPath = join(dataDir, 'fosspushd.sock');
    const daemon: Daemon = createDaemon({
      dataDir: join(dataDir, 'daemon'),
      socketPath,
      accounts: [{ id: 'demo', type: 'push-server', url: serverUrl }],
    });
    cleanups.push(() => daemon.stop());
    await daemon.start();
    print(`fosspushd     ${socketPath}   (one connection to the push server, for every app)`);

    const messaging: Messaging = getMessaging({ appId: DEMO_APP_ID, socketPath, keyFile: join(dataDir, 'app', `${DEMO_APP_ID}.json`) });
    cleanups.push(() => messaging.close());
    const token = await messaging.getToken();
    const tokenFile = join(dataDir, 'token');
    await writeFile(tokenFile, `${token}\n`);
    print(`demo app      ${DEMO_APP_ID} registered through @fosspush/client; token in ${tokenFile}`);

    const waiting = new Map<string, (delivery: DemoDelivery) => void>();
    const early = new Map<string, DemoDelivery>();
    messaging.onMessage((payload) => {
      const delivery = { payload, latencyMs: Date.now() - payload.sentAt };
      const waiter = waiting.get(payload.messageId);
      if (waiter) waiter(delivery);
      else early.set(payload.messageId, delivery);
      print(`delivered     ${JSON.stringify(payload.data)}   ${delivery.latencyMs} ms from push server to app`);
    });

    // The app server: a VAPID key of its own, and the sender SDK that encrypts to the token.
    const sender = new Sender({ vapid: { keys: await generateVapidKeys(), subject: 'mailto:demo@fosspush.invalid' } });
    const send = (data: Record<string, string>) => sendToToken(sender, token, data);
    const delivered = (messageId: string) =>
      new Promise<DemoDelivery>((resolve) => {
        const ready = early.get(messageId);
        if (ready) resolve(ready);
        else waiting.set(messageId, resolve);
      });

    const data = { message: 'Hello from fosspush' };
    print(`sending       ${JSON.stringify(data)} through the push server (RFC 8291 encrypted, VAPID signed)`);
    const startedAt = performance.now();
    const firstDelivery = await delivered(await send(data));
    print(`round trip    ${(performance.now() - startedAt).toFixed(1)} ms from send() to the app's onMessage`);

    const endpoint: DemoEndpoint = await startDemoEndpoint(send, options.sendPort ?? 0);
    cleanups.push(() => endpoint.close());
    return { serverUrl, sendUrl: endpoint.url, token, tokenFile, firstDelivery, send, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
