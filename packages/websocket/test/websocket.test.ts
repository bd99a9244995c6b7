import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { describeDeviceChannelConformance, type DeviceWireRig, startDeviceWireRig } from '@fosspush/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createWebSocketChannel, createWebSocketDeviceServer, DEVICE_CLOSE_CODES, type WebSocketDeviceServer } from '../src/index.js';

describeDeviceChannelConformance('websocket', {
  mount: (hub, options) => {
    // A short grace: a stalled device never answers the close frame.
    const server = createWebSocketDeviceServer({ hub, ...options, closeGraceMs: 50 });
    return { upgrade: server.handleUpgrade, close: server.close };
  },
  async stallStream(setUrl) {
    // A hand-made upgrade on a bare TCP socket that stops reading after the 101.
    const url = new URL(setUrl);
    const socket = connect(Number(url.port), url.hostname);
    socket.write(
      `GET ${url.pathname}/ws HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise((resolve) => socket.once('data', resolve));
    socket.pause();
    return () => socket.destroy();
  },
  mountScripted(frames) {
    const wss = new WebSocketServer({ noServer: true });
    return {
      upgrade(req, socket, head) {
        wss.handleUpgrade(req, socket, head, (ws) => {
          for (const frame of frames) ws.send(frame);
        });
      },
      async close() {
        for (const client of wss.clients) client.terminate();
        wss.close();
      },
    };
  },
  createChannel: (options) => createWebSocketChannel(options),
});

const WAIT = { timeout: 5_000, interval: 10 };

describe('WebSocket device server', () => {
  const start = async (options: Partial<Parameters<typeof createWebSocketDeviceServer>[0]> = {}) => {
    let server: WebSocketDeviceServer | undefined;
    const rig = await startDeviceWireRig((hub) => {
      server = createWebSocketDeviceServer({ hub, heartbeatIntervalMs: 1_000, ...options });
      return { upgrade: server.handleUpgrade, close: server.close };
    });
    onTestFinished(() => rig.close());
    return { rig, server: server as WebSocketDeviceServer };
  };

  const subscribe = async (rig: DeviceWireRig) => {
    const made = await rig.subscribe();
    return { ...made, wsUrl: `${made.setUrl.replace('http', 'ws')}/ws` };
  };

  /** A raw device: every frame it gets, and how its connection closed. */
  const rawDevice = (url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}) => {
    const ws = new WebSocket(url, options);
    const frames: Array<Record<string, unknown>> = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
    ws.on('error', () => undefined);
    onTestFinished(() => ws.terminate());
    return { ws, frames, closed, ready: () => vi.waitFor(() => expect(frames[0]?.['type']).toBe('ready'), WAIT) };
  };

  it('sends ready, then the backlog, then live messages, each once and in seq order', async () => {
    const { rig } = await start();
    const { pushId, wsUrl } = await subscribe(rig);
    const queued = [await rig.push(pushId), await rig.push(pushId)];
    const device = rawDevice(`${wsUrl}?after=${queued[0]?.seq}`);
    await device.ready();
    const live = await rig.push(pushId);
    await vi.waitFor(() => expect(device.frames).toHaveLength(3), WAIT);
    expect(device.frames[0]).toEqual({ type: 'ready', v: 1, heartbeatMs: 1_000, maxAckIds: 50 });
    expect(device.frames.slice(1).map((f) => f['seq'])).toEqual([queued[1]?.seq, live.seq]);
    expect(device.frames[1]).toMatchObject({ type: 'msg', id: queued[1]?.id, sub: pushId, ttl: 3600, urgency: 'normal', payload: 'AQID' });
  });

  it('removes a message from the store on an ack frame', async () => {
    const { rig } = await start();
    const { pushId, wsUrl } = await subscribe(rig);
    const message = await rig.push(pushId);
    const device = rawDevice(wsUrl);
    await vi.waitFor(() => expect(device.frames).toHaveLength(2), WAIT);
    device.ws.send(JSON.stringify({ type: 'ack', id: message.id }));
    await vi.waitFor(async () => expect(await rig.store.getMessage(message.id)).toBeUndefined(), WAIT);
  });

  it('removes every message named in one batched ack frame, and only those', async () => {
    const { rig } = await start();
    const { pushId, wsUrl } = await subscribe(rig);
    const messages = [await rig.push(pushId), await rig.push(pushId), await rig.push(pushId)];
    const device = rawDevice(wsUrl);
    await vi.waitFor(() => expect(device.frames).toHaveLength(4), WAIT);
    device.ws.send(JSON.stringify({ type: 'ack', ids: [messages[0]?.id, messages[2]?.id] }));
    await vi.waitFor(async () => expect(await rig.store.getMessage(messages[2]?.id ?? '')).toBeUndefined(), WAIT);
    expect(await rig.store.getMessage(messages[0]?.id ?? '')).toBeUndefined();
    expect(await rig.store.getMessage(messages[1]?.id ?? '')).toMatchObject({ id: messages[1]?.id });
  });


  it.each([
    ['text that is not JSON', 'hello', DEVICE_CLOSE_CODES.protocolError],
    ['a JSON array', '[]', DEVICE_CLOSE_CODES.protocolError],
    ['an unknown frame type', JSON.stringify({ type: 'subscribe' }), DEVICE_CLOSE_CODES.protocolError],
    ['an ack without a message id', JSON.stringify({ type: 'ack' }), DEVICE_CLOSE_CODES.protocolError],
    ['an ack with a malformed id', JSON.stringify({ type: 'ack', id: '../../etc' }), DEVICE_CLOSE_CODES.protocolError],
    ['a binary frame', Buffer.from([1, 2, 3]), DEVICE_CLOSE_CODES.protocolError],
    ['an oversized frame', 'x'.repeat(5000), DEVICE_CLOSE_CODES.frameTooLarge],
  ])('closes a device that sends %s with a typed code, and keeps serving the others', async (_name, frame, code) => {
    const { rig, server } = await start();
    const good = await subscribe(rig);
    const channel = createWebSocketChannel({ serverUrl: rig.url, heartbeatTimeoutMs: 1_000 });
    onTestFinished(() => channel.close());
    const received: string[] = [];
    channel.on('message', ({ message }) => received.push(message.id));
    const { registrationId } = await channel.subscribe({});
    await channel.connect();

    const { wsUrl } = await subscribe(rig);
    const bad = rawDevice(wsUrl);
    await bad.ready();
    bad.ws.send(frame);
    const { code: closeCode } = await bad.closed;
    expect(closeCode).toBe(code);
    if (code === DEVICE_CLOSE_CODES.protocolError) expect(bad.frames.at(-1)).toMatchObject({ type: 'error', code: 'PROTOCOL_ERROR' });

    const message = await rig.push(registrationId);
    await vi.waitFor(() => expect(received).toEqual([message.id]), WAIT);
    await vi.waitFor(() => expect(server.connectionCount).toBe(1), WAIT);
    expect(good.pushId).toBeTruthy();
  });

  it('refuses a malformed ?after with HTTP 400 and an unknown set with close code 4404', async () => {
    const { rig } = await start();
    const { wsUrl } = await subscribe(rig);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${wsUrl}?after=-3`);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
    expect(status).toBe(400);
    const unknown = rawDevice(new URL('/set/nope/ws', rig.url.replace('http', 'ws')).href);
    expect((await unknown.closed).code).toBe(DEVICE_CLOSE_CODES.notFound);
    expect(unknown.frames).toEqual([{ type: 'error', code: 'NOT_FOUND', message: 'no such subscription set' }]);
  });

  it('drops a device that stops answering pings', async () => {
    const { rig, server } = await start({ heartbeatIntervalMs: 30 });
    const { wsUrl } = await subscribe(rig);
    const dead = rawDevice(wsUrl, { autoPong: false });
    await dead.ready();
    expect(server.connectionCount).toBe(1);
    await vi.waitFor(() => expect(server.connectionCount).toBe(0), WAIT);
    expect(rig.hub.openSessions).toBe(0);
    expect((await dead.closed).code).toBe(1006);
  });

  it('closes every stream with 1001 on shutdown and refuses new ones', async () => {
    const { rig, server } = await start();
    const { wsUrl } = await subscribe(rig);
    const device = rawDevice(wsUrl);
    await device.ready();
    await server.close();
    expect((await device.closed).code).toBe(DEVICE_CLOSE_CODES.goingAway);
    expect(server.connectionCount).toBe(0);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl);
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('error', () => undefined);
    });
    expect(status).toBe(503);
  });
});
