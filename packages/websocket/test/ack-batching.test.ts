import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { createWebSocketTransport } from '../src/index.js';

const WAIT = { timeout: 5_000, interval: 10 };

/** A real WebSocket server that records the frames a device sends it. */
async function recordingServer() {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((resolve) => wss.once('listening', resolve));
  const frames: unknown[] = [];
  let connected = false;
  wss.on('connection', (ws) => {
    connected = true;
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  });
  onTestFinished(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  const { port } = wss.address() as AddressInfo;
  return { setUrl: `http://127.0.0.1:${port}/set/s`, frames, connected: () => connected };
}

async function openTransport(setUrl: string, connected: () => boolean) {
  const events = { frame: () => undefined, alive: () => undefined, problem: () => undefined, closed: () => undefined };
  const connection = createWebSocketTransport({ serverUrl: setUrl }).open({ setUrl, afterSeq: undefined, heartbeatMs: 60_000 }, events);
  onTestFinished(() => connection.close());
  await vi.waitFor(() => expect(connected()).toBe(true), WAIT);
  // The socket is open on the client side once the server has it and the handshake answer is read.
  await vi.waitFor(async () => expect(await connection.ack('probe')).toBe(true), WAIT);
  return connection;
}

describe('WebSocket device acks', () => {
  it('sends one single-id frame per ack to a server that announced no batches (wire version 1 as first published)', async () => {
    const server = await recordingServer();
    const connection = await openTransport(server.setUrl, server.connected);
    expect(await Promise.all(['a1', 'a2', 'a3'].map((id) => connection.ack(id)))).toEqual([true, true, true]);
    await vi.waitFor(() => expect(server.frames).toHaveLength(4), WAIT);
    expect(server.frames.slice(1)).toEqual([
      { type: 'ack', id: 'a1' },
      { type: 'ack', id: 'a2' },
      { type: 'ack', id: 'a3' },
    ]);
  });

  it('puts acks made together into frames of at most maxAckIds ids once the server allows it', async () => {
    const server = await recordingServer();
    const connection = await openTransport(server.setUrl, server.connected);
    connection.allowAckBatches?.(2);
    expect(await Promise.all(['a1', 'a2', 'a3'].map((id) => connection.ack(id)))).toEqual([true, true, true]);
    await vi.waitFor(() => expect(server.frames).toHaveLength(3), WAIT);
    expect(server.frames.slice(1)).toEqual([
      { type: 'ack', ids: ['a1', 'a2'] },
      { type: 'ack', id: 'a3' },
    ]);
  });

  it('reports an ack it could not send once the socket is gone, so the channel falls back to HTTP', async () => {
    const server = await recordingServer();
    const connection = await openTransport(server.setUrl, server.connected);
    connection.allowAckBatches?.(50);
    connection.close();
    expect(await connection.ack('a1')).toBe(false);
  });
});
