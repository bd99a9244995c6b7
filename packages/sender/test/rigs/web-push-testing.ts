import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import type { PushSubscriptionJSON } from '@fosspush/core';

/**
 * `web-push-testing` (npm), an independent RFC 8030 push service: it checks the VAPID JWT with
 * jsonwebtoken and decrypts every message with http_ece, keeping the plaintexts for us to read.
 * Started as its own process (`src/bin/server.js <port>`, what its `start` command runs, without
 * the detaching and the PID file) on a free loopback port, and stopped by PID.
 */
export interface WebPushTestingService {
  readonly url: string;
  subscribe(applicationServerKey: string): Promise<PushSubscriptionJSON & { clientHash: string }>;
  /** The decrypted plaintexts the service received for a subscription, in order. */
  notifications(clientHash: string): Promise<string[]>;
  /** Makes the service answer 410 Gone for the subscription from now on. */
  expire(clientHash: string): Promise<void>;
  stop(): Promise<void>;
}

async function freeLoopbackPort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitForBanner(child: ChildProcess): Promise<void> {
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server running on port')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`web-push-testing exited with ${code}: ${output}`)));
  });
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`web-push-testing did not start: ${output}`)), 10_000).unref());
  await Promise.race([ready, timeout]);
}

export async function startWebPushTesting(): Promise<WebPushTestingService> {
  const port = await freeLoopbackPort();
  const script = createRequire(import.meta.url).resolve('web-push-testing/src/bin/server.js');
  const child = spawn(process.execPath, [script, String(port)], { stdio: ['ignore', 'pipe', 'ignore'] });
  await waitForBanner(child);
  const url = `http://localhost:${port}`;
  const post = async (path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body ?? {}),
    });
    if (!response.ok) throw new Error(`web-push-testing ${path}: HTTP ${response.status} ${await response.text()}`);
    return response.status === 200 && response.headers.get('content-type')?.includes('json') ? ((await response.json()) as { data: unknown }).data : undefined;
  };
  return {
    url,
    subscribe: async (applicationServerKey) =>
      (await post('/subscribe', { userVisibleOnly: 'true', applicationServerKey })) as PushSubscriptionJSON & { clientHash: string },
    notifications: async (clientHash) => ((await post('/get-notifications', { clientHash })) as { messages: string[] }).messages,
    expire: async (clientHash) => {
      await post(`/expire-subscription/${clientHash}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
