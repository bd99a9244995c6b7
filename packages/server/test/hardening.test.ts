import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { createVapidSigner, encryptWebPush, generateVapidKeys, utf8Encode } from '@fosspush/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushServerOptions } from '../src/index.js';
import { startServer, type StartedServer, subscribe } from './helpers.js';

let started: StartedServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await started?.server.close();
  started = undefined;
});

async function serve(options: PushServerOptions = {}): Promise<string> {
  started = await startServer(options);
  return started.url;
}

/** A raw TCP connection, optionally from another loopback address. */
function open(url: string, localAddress?: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), ...(localAddress ? { localAddress } : {}) }, () => resolve(socket));
    socket.once('error', reject);
    sockets.push(socket);
  });
}

/** Resolves with what the server wrote before it closed the connection, and when. */
function closed(socket: Socket): Promise<{ afterMs: number; text: string }> {
  const start = performance.now();
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return new Promise((resolve) => socket.once('close', () => resolve({ afterMs: performance.now() - start, text })));
}

/** A request through node:http, which (unlike fetch) lets a test set Host. */
function rawRequest(url: string, headers: Record<string, string>, body: Uint8Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end(body);
  });
}

describe('slow clients (slowloris)', () => {
  it('closes a connection whose headers trickle in past the deadline, on time', async () => {
    const base = await serve({ headersTimeoutMs: 1000 });
    const socket = await open(base);
    const outcome = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    const { afterMs, text } = await Promise.race([outcome, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('still open after 5 s')), 5000))]);
    clearInterval(trickle);
    // Node checks the deadline on a timer (30 s by default): the server runs it at a tenth of
    // the deadline. The margin is for a loaded machine; the old behaviour is 30 s.
    expect(afterMs).toBeLessThan(1000 + 1500);
    expect(text).toMatch(/^HTTP\/1.1 408/);
  }, 10_000);

  it('caps connections per address, so one address cannot take every slot', async () => {
    const base = await serve({ maxConnectionsPerAddress: 3 });
    const held = await Promise.all([0, 1, 2].map(() => open(base, '127.0.0.1')));
    const refused = await open(base, '127.0.0.1');
    const { text } = await closed(refused);
    expect(text).toMatch(/^HTTP\/1.1 503/);
    // Another address still gets in while the first holds its three.
    const other = await open(base, '127.0.0.2');
    const answer = closed(other);
    other.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await answer).text).toMatch(/^HTTP\/1.1 200/);
    // A slot freed by the first address is its to use again.
    (held[0] as Socket).destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const again = await open(base, '127.0.0.1');
    const reply = closed(again);
    again.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect((await reply).text).toMatch(/^HTTP\/1.1 200/);
  }, 10_000);
});

describe('VAPID audience', () => {
  it('is the listen address without --public-url, whatever Host the request names', async () => {
    const base = await serve();
    const keys = await generateVapidKeys();
    const sub = await subscribe(base, { vapid: keys.publicKey });
    const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
    // A token minted for another push service, replayed here with that service's Host.
    const foreign = await signer.authorization('http://push.other.example/p/x');
    const body = new Uint8Array(await encryptWebPush(utf8Encode('hello'), sub.keys));
    const headers = { ttl: '60', 'content-encoding': 'aes128gcm', authorization: foreign };
    expect(await rawRequest(sub.push, { ...headers, host: 'push.other.example' }, body)).toBe(403);
    expect(new URL(sub.push).origin).toBe(base);
  });

  it('ignores X-Forwarded-Proto under trustProxy: the public URL decides', async () => {
    const base = await serve({ trustProxy: true });
    const keys = await generateVapidKeys();
    const sub = await subscribe(base, { vapid: keys.publicKey });
    const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
    const https = await signer.authorization(sub.push.replace('http:', 'https:'));
    const headers = { ttl: '60', 'content-encoding': 'aes128gcm', authorization: https, 'x-forwarded-proto': 'https' };
    expect(await rawRequest(sub.push, headers, new Uint8Array(await encryptWebPush(utf8Encode('hello'), sub.keys)))).toBe(403);
  });
});

describe('ids from the URL', () => {
  it('refuses names that are not capabilities before the store sees them', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    expect((await fetch(sub.subscription, { method: 'DELETE' })).status).toBe(204);
    const pushId = sub.push.split('/').pop() as string;
    // Names that are no capability (older versions used these internally) must reach nothing.
    expect((await fetch(`${base}/set/unsubscribed/s/${pushId}`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}/set/healthz`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}/m/unsubscribed`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${base}/p/unsubscribed`, { method: 'POST' })).status).toBe(404);
  });
});
