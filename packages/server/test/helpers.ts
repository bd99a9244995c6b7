import { encryptWebPush, generateSubscriptionKeys, type SubscriptionKeys, silentLogger, utf8Encode } from '@fosspush/core';
import { findLink, PUSH_LINK_RELATIONS } from '@fosspush/webpush/service';
import { WebSocket } from 'ws';
import { createPushServer, type PushServer, type PushServerOptions } from '../src/index.js';

export interface StartedServer {
  server: PushServer;
  url: string;
}

export async function startServer(options: PushServerOptions = {}): Promise<StartedServer> {
  const server = createPushServer({ storage: { kind: 'memory' }, logger: silentLogger, processMetrics: false, ...options });
  const url = await server.listen(0, '127.0.0.1');
  return { server, url };
}

export interface Subscription {
  subscription: string;
  push: string;
  set: string;
  keys: SubscriptionKeys;
}

export async function subscribe(base: string, options: { set?: string; vapid?: string } = {}): Promise<Subscription> {
  const headers: Record<string, string> = {};
  if (options.set) headers['link'] = `<${options.set}>; rel="${PUSH_LINK_RELATIONS.set}"`;
  if (options.vapid) headers['content-type'] = 'application/webpush-options+json';
  const response = await fetch(`${base}/subscribe`, {
    method: 'POST',
    headers,
    ...(options.vapid ? { body: JSON.stringify({ vapid: options.vapid }) } : {}),
  });
  if (response.status !== 201) throw new Error(`subscribe answered ${response.status}: ${await response.text()}`);
  const link = response.headers.get('link') ?? '';
  return {
    subscription: response.headers.get('location') ?? '',
    push: findLink(link, PUSH_LINK_RELATIONS.push) ?? '',
    set: findLink(link, PUSH_LINK_RELATIONS.set) ?? '',
    keys: await generateSubscriptionKeys(),
  };
}

export async function push(
  target: Pick<Subscription, 'push' | 'keys'>,
  text: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = new Uint8Array(await encryptWebPush(utf8Encode(text), target.keys));
  return fetch(target.push, { method: 'POST', headers: { ttl: '60', 'content-encoding': 'aes128gcm', ...headers }, body });
}

export interface MessageFrame {
  type: 'msg';
  seq: number;
  id: string;
  sub: string;
  ttl: number;
  urgency: string;
  topic?: string;
  sentAt: number;
  payload: string;
}

/** A device on the real WebSocket wire, speaking the frames of docs/device-wire.md. */
export interface TestDevice {
  readonly messages: MessageFrame[];
  ack(id: string): void;
  close(): Promise<void>;
  readonly socket: WebSocket;
}

export async function connectDevice(setUrl: string, options: { after?: number; autoAck?: boolean } = {}): Promise<TestDevice> {
  const url = new URL(`${setUrl}/ws`);
  url.protocol = 'ws:';
  if (options.after !== undefined) url.searchParams.set('after', String(options.after));
  const socket = new WebSocket(url);
  const messages: MessageFrame[] = [];
  const ack = (id: string) => socket.send(JSON.stringify({ type: 'ack', id }));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === 'ready') resolve();
      if (frame.type === 'msg') {
        messages.push(frame as MessageFrame);
        if (options.autoAck) ack((frame as MessageFrame).id);
      }
    });
  });
  return {
    messages,
    ack,
    socket,
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}
