import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClientOptions, GcmPubSub, GoogleCloudMessaging, getMessaging, subscribeToTopic, type TopicRoute, unsubscribeFromTopic } from '../src/index.js';
import { type ScriptedDaemon, startScriptedDaemon } from './scripted-daemon.js';

/**
 * The device-side topic route: GcmPubSub and FCM's subscribeToTopic reach an app server
 * (a real HTTP server on port 0) through the app's `topicRoute`.
 */
describe('topic route from the device to the app server', () => {
  let dir: string;
  let daemon: ScriptedDaemon;
  let appServer: Server;
  let options: ClientOptions;
  let route: TopicRoute;
  const calls: { path: string; token: string; topic: string }[] = [];
  const closers: (() => Promise<void>)[] = [];
  let appCounter = 0;
  let refuse = false;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fpc-topics-'));
    daemon = await startScriptedDaemon(join(dir, 'daemon.sock'));
    calls.length = 0;
    refuse = false;
    appServer = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        if (refuse) return void response.writeHead(503).end();
        calls.push({ path: request.url ?? '', ...JSON.parse(body) });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
    const post = async (path: string, token: string, topic: string) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', body: JSON.stringify({ token, topic }) });
      if (!response.ok) throw new Error(`app server answered ${response.status}`);
    };
    route = { subscribe: (token, topic) => post('/subscribe', token, topic), unsubscribe: (token, topic) => post('/unsubscribe', token, topic) };
    const appId = `org.example.topics${++appCounter}`;
    options = { appId, socketPath: join(dir, 'daemon.sock'), keyFile: join(dir, 'keys', `${appId}.json`) };
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await daemon.close();
    await new Promise((resolve) => appServer.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('GcmPubSub.subscribe and unsubscribe post the token and /topics/x to the app server', async () => {
    const gcm = GoogleCloudMessaging.getInstance(options);
    closers.push(() => gcm.close());
    const token = await gcm.register('1234');
    const pubsub = GcmPubSub.getInstance({ ...options, topicRoute: route });
    await pubsub.subscribe(token, '/topics/news');
    await pubsub.unsubscribe(token, '/topics/news');
    expect(calls).toEqual([
      { path: '/subscribe', token, topic: '/topics/news' },
      { path: '/unsubscribe', token, topic: '/topics/news' },
    ]);
  });

  it('refuses a stranger token and a bad name before the route, and reports a failed route as SERVICE_NOT_AVAILABLE', async () => {
    const gcm = GoogleCloudMessaging.getInstance(options);
    closers.push(() => gcm.close());
    const token = await gcm.register('1234');
    const pubsub = GcmPubSub.getInstance({ ...options, topicRoute: route });
    expect(((await pubsub.subscribe('fp1.not-ours', '/topics/news').catch((e: unknown) => e)) as Error).message).toBe('INVALID_PARAMETERS');
    expect(((await pubsub.subscribe(token, 'news').catch((e: unknown) => e)) as Error).message).toBe('INVALID_PARAMETERS');
    refuse = true;
    expect(((await pubsub.subscribe(token, '/topics/news').catch((e: unknown) => e)) as Error).message).toBe('SERVICE_NOT_AVAILABLE');
    expect(((await GcmPubSub.getInstance(options).subscribe(token, '/topics/news').catch((e: unknown) => e)) as Error).message).toBe('SERVICE_NOT_AVAILABLE');
    expect(calls).toEqual([]);
  });

  it("FCM's subscribeToTopic posts this app's FCM token", async () => {
    const messaging = getMessaging(options);
    closers.push(() => messaging.close());
    const token = await messaging.getToken({ vapidKey: 'BVAPIDkey' });
    await subscribeToTopic(messaging, 'weather', route, { vapidKey: 'BVAPIDkey' });
    await unsubscribeFromTopic(messaging, '/topics/weather', route, { vapidKey: 'BVAPIDkey' });
    expect(calls).toEqual([
      { path: '/subscribe', token, topic: '/topics/weather' },
      { path: '/unsubscribe', token, topic: '/topics/weather' },
    ]);
  });
});
