import * as assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebSocket } from 'ws';
import { request } from './tls.js';

/**
 * What a self-hoster's users do, through whatever stands in front of the server: devices
 * subscribe and hold WebSocket or SSE streams, app servers push. Plain `node:assert`, so the
 * same checks run in vitest and in the on-demand scripts.
 */
export interface Deployment {
  /** `https://push.example.org:PORT`: what clients use. */
  publicUrl: string;
  /** The test certificate, when `publicUrl` is https. */
  ca?: string;
}

export interface Subscription {
  subscription: string;
  push: string;
  set: string;
}

interface Frame {
  type: string;
  id?: string;
  [key: string]: unknown;
}

// Every host name resolves to loopback: the docs' push.example.org needs no DNS.
const loopback: LookupFunction = (_host, options, callback) => {
  if (options.all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

export async function subscribe(deployment: Deployment): Promise<Subscription> {
  const answer = await request(`${deployment.publicUrl}/subscribe`, { method: 'POST', ...(deployment.ca ? { ca: deployment.ca } : {}) });
  assert.equal(answer.status, 201, `subscribe: ${answer.status} ${answer.body}`);
  const body = JSON.parse(answer.body) as Subscription;
  // The links name the public URL (scheme, host and port), not the server's loopback address.
  assert.equal(answer.headers.location, body.subscription);
  for (const link of [body.subscription, body.push, body.set]) assert.ok(link.startsWith(`${deployment.publicUrl}/`), link);
  return body;
}

/** Posts a tickle (an empty push); resolves with the message id. */
export async function push(deployment: Deployment, pushUrl: string): Promise<string> {
  const answer = await request(pushUrl, { method: 'POST', headers: { ttl: '600' }, ...(deployment.ca ? { ca: deployment.ca } : {}) });
  assert.equal(answer.status, 201, `push: ${answer.status} ${answer.body}`);
  const location = answer.headers.location as string;
  assert.ok(location.startsWith(`${deployment.publicUrl}/m/`), location);
  return location.slice(location.lastIndexOf('/') + 1);
}

/** A stream of frames with a way to wait for the next one of a type. */
class FrameQueue {
  private readonly frames: Frame[] = [];
  private waiter: (() => void) | undefined;

  add(frame: Frame): void {
    this.frames.push(frame);
    this.waiter?.();
  }

  async next(type: string, timeoutMs = 10_000): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((frame) => frame.type === type);
      if (index >= 0) return this.frames.splice(index, 1)[0] as Frame;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no ${type} frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

export interface DeviceStream {
  next(type: string): Promise<Frame>;
  close(): void;
}

export function openWebSocket(deployment: Deployment, setUrl: string): Promise<DeviceStream & { ack(id: string): void }> {
  const url = `${setUrl.replace(/^http/, 'ws')}/ws`;
  const socket = new WebSocket(url, { lookup: loopback, ...(deployment.ca ? { ca: deployment.ca } : {}) });
  const frames = new FrameQueue();
  socket.on('message', (data) => frames.add(JSON.parse(String(data)) as Frame));
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: ${res.statusCode}`)));
    socket.once('open', () =>
      resolve({
        next: (type) => frames.next(type),
        ack: (id) => socket.send(JSON.stringify({ type: 'ack', id })),
        close: () => socket.close(),
      }),
    );
  });
}

export function openSse(deployment: Deployment, setUrl: string): Promise<DeviceStream> {
  const url = new URL(`${setUrl}/events`);
  const secure = url.protocol === 'https:';
  const frames = new FrameQueue();
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(
      url,
      { headers: { accept: 'text/event-stream' }, lookup: loopback, agent: false, ...(secure && deployment.ca ? { ca: deployment.ca } : {}) },
      (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE refused: ${res.statusCode}`));
        assert.match(String(res.headers['content-type']), /^text\/event-stream/);
        let buffered = '';
        res.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          for (const line of lines) if (line.startsWith('data: ')) frames.add(JSON.parse(line.slice(6)) as Frame);
        });
        res.on('error', () => undefined);
        resolve({ next: (type) => frames.next(type), close: () => req.destroy() });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The whole round: two devices (one on WebSocket, one on SSE) subscribe; a push to each
 * arrives on its stream through the proxy, unbuffered; each acknowledges (a WebSocket frame,
 * a DELETE for SSE).
 */
export async function checkDelivery(deployment: Deployment): Promise<void> {
  const overWebSocket = await subscribe(deployment);
  const overSse = await subscribe(deployment);
  const ws = await openWebSocket(deployment, overWebSocket.set);
  const sse = await openSse(deployment, overSse.set);
  try {
    await ws.next('ready');
    await sse.next('ready');
    const first = await push(deployment, overWebSocket.push);
    assert.equal((await ws.next('msg')).id, first);
    ws.ack(first);
    const second = await push(deployment, overSse.push);
    assert.equal((await sse.next('msg')).id, second);
    const ack = await request(`${deployment.publicUrl}/m/${second}`, { method: 'DELETE', ...(deployment.ca ? { ca: deployment.ca } : {}) });
    assert.equal(ack.status, 204);
  } finally {
    ws.close();
    sse.close();
  }
}

/** Bodies over the server's 4096 and over the proxy's 8k both come back as JSON 413s. */
export async function checkPayloadTooLarge(deployment: Deployment, pushUrl: string): Promise<void> {
  for (const size of [5000, 20_000]) {
    const answer = await request(pushUrl, {
      method: 'POST',
      headers: { ttl: '60', 'content-encoding': 'aes128gcm', 'content-type': 'application/octet-stream' },
      body: new Uint8Array(size),
      ...(deployment.ca ? { ca: deployment.ca } : {}),
    });
    assert.equal(answer.status, 413, `${size} bytes: ${answer.status} ${answer.body}`);
    assert.match(String(answer.headers['content-type']), /^application\/json/, `${size} bytes: ${answer.body}`);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
  }
}

/** `/metrics` and `/healthz` answer 404 in JSON through the proxy. */
export async function checkOperatorRoutesPrivate(deployment: Deployment): Promise<void> {
  for (const path of ['/metrics', '/healthz']) {
    const answer = await request(`${deployment.publicUrl}${path}`, deployment.ca ? { ca: deployment.ca } : {});
    assert.equal(answer.status, 404, `${path}: ${answer.status}`);
    assert.doesNotMatch(answer.body, /fosspush_|nodejs/);
    assert.equal((JSON.parse(answer.body) as { code: string }).code, 'NOT_FOUND');
  }
}
