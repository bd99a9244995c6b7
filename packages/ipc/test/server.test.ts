import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FosspushError, isFosspushError } from '@fosspush/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  connectIpc,
  createIpcServer,
  type IpcClient,
  type IpcConnection,
  type IpcHandlers,
  type IpcServer,
  type IpcServerEvent,
} from '../src/index.js';

const auth = { appId: 'org.example.a', credential: 'cred' };

function handlers(overrides: Partial<IpcHandlers> = {}): IpcHandlers {
  const notImplemented = () => {
    throw new FosspushError('UNAVAILABLE', 'not in this test');
  };
  return {
    register: notImplemented,
    unregister: notImplemented,
    registrations: () => ({ registrations: [] }),
    messages: (params) => ({ messages: [], cursor: params.afterSeq ?? 0, more: false }),
    ack: (params) => ({ acked: params.messageIds.length }),
    observe: () => ({ observing: true }),
    status: notImplemented,
    ...overrides,
  };
}

/** A raw socket for speaking bytes the typed client never would. */
async function rawClient(path: string): Promise<{ socket: Socket; lines: () => Promise<string> }> {
  const socket = connect(path);
  await new Promise((resolve) => socket.once('connect', resolve));
  let buffer = '';
  const waiting: ((line: string) => void)[] = [];
  const ready: string[] = [];
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const next = waiting.shift();
      if (next) next(line);
      else ready.push(line);
      newline = buffer.indexOf('\n');
    }
  });
  return {
    socket,
    lines: () => {
      const line = ready.shift();
      return line === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(line);
    },
  };
}

describe('IPC server and client over a real Unix socket', () => {
  let dir: string;
  let socketPath: string;
  let server: IpcServer | undefined;
  const clients: IpcClient[] = [];
  const events: IpcServerEvent[] = [];

  async function start(overrides: Partial<IpcHandlers> = {}, options = {}): Promise<IpcServer> {
    server = createIpcServer(handlers(overrides), { socketPath, onEvent: (e) => events.push(e), ...options });
    await server.listen();
    return server;
  }
  async function client(): Promise<IpcClient> {
    const c = await connectIpc({ socketPath, requestTimeoutMs: 2000 });
    clients.push(c);
    return c;
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fp-ipc-'));
    socketPath = join(dir, 'run', 'daemon.sock');
    events.length = 0;
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('answers typed calls and creates a private folder and socket', async () => {
    await start();
    const ipc = await client();
    expect(await ipc.call('messages', { ...auth, afterSeq: 5 })).toEqual({ messages: [], cursor: 5, more: false });
    expect((await stat(join(dir, 'run'))).mode & 0o777).toBe(0o700);
    expect((await stat(socketPath)).mode & 0o777).toBe(0o600);
  });

  it('rebuilds the typed error a handler threw', async () => {
    await start({
      messages: () => {
        throw new FosspushError('PERMISSION_DENIED', 'not your app', { details: { appId: 'x' } });
      },
    });
    const ipc = await client();
    const error = await ipc.call('messages', auth).catch((e: unknown) => e);
    expect(isFosspushError(error, 'PERMISSION_DENIED')).toBe(true);
    expect((error as FosspushError).details).toEqual({ appId: 'x' });
  });

  it('validates params before the handler runs', async () => {
    const ack = vi.fn(() => ({ acked: 0 }));
    await start({ ack });
    const ipc = await client();
    await expect(ipc.call('ack', { ...auth, messageIds: ['bad id!'] })).rejects.toSatisfy((e) => isFosspushError(e, 'INVALID_REQUEST'));
    expect(ack).not.toHaveBeenCalled();
  });

  it('reports a handler bug as INTERNAL without leaking its message', async () => {
    await start({
      registrations: () => {
        throw new TypeError('cannot read x of undefined at /secret/path');
      },
    });
    const ipc = await client();
    const error = (await ipc.call('registrations', auth).catch((e: unknown) => e)) as FosspushError;
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toContain('secret');
    expect(events.some((e) => e.type === 'handler-failed')).toBe(true);
  });

  it('survives garbage, unknown methods and oversized frames on the same connection', async () => {
    await start({}, { maxFrameBytes: 1024 });
    const { socket, lines } = await rawClient(socketPath);
    socket.write('this is not json\n');
    expect(JSON.parse(await lines())).toMatchObject({ id: null, error: { code: -32700, data: { code: 'PROTOCOL_ERROR' } } });
    socket.write('{"jsonrpc":"2.0","id":1,"method":"shutdown","params":{}}\n');
    expect(JSON.parse(await lines())).toMatchObject({ id: 1, error: { code: -32601, data: { code: 'METHOD_NOT_FOUND' } } });
    socket.write(`{"jsonrpc":"2.0","id":2,"method":"messages","params":{"pad":"${'x'.repeat(5000)}"}}\n`);
    expect(JSON.parse(await lines())).toMatchObject({ id: null, error: { data: { code: 'FRAME_TOO_LARGE' } } });
    socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'messages', params: auth })}\n`);
    expect(JSON.parse(await lines())).toEqual({ jsonrpc: '2.0', id: 3, result: { messages: [], cursor: 0, more: false } });
    socket.destroy();
  });

  it('drops a client that never reads, while others keep being served', async () => {
    let stuck: IpcConnection | undefined;
    const observe: IpcHandlers['observe'] = (_, connection) => {
      stuck = connection;
      return { observing: true };
    };
    await start({ observe }, { maxWriteBufferBytes: 64 * 1024 });
    const { socket, lines } = await rawClient(socketPath);
    socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'observe', params: auth })}\n`);
    await lines();
    socket.pause();
    const notification = { appId: auth.appId, count: 1, pad: 'x'.repeat(8000) };
    let sent = 0;
    while (stuck?.notify('deleted', notification) && sent < 100_000) sent++;
    expect(sent).toBeLessThan(100_000);
    expect(events.some((e) => e.type === 'slow-reader')).toBe(true);
    const healthy = await client();
    expect(await healthy.call('registrations', auth)).toEqual({ registrations: [] });
    await vi.waitFor(() => expect(socket.destroyed || socket.readableEnded || stuck?.closed).toBe(true));
    socket.destroy();
  });

  it('stops reading from a client that floods requests, and answers all of them', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running = 0;
    let peak = 0;
    await start(
      {
        registrations: async () => {
          running++;
          peak = Math.max(peak, running);
          await gate;
          running--;
          return { registrations: [] };
        },
      },
      { maxPendingRequests: 4 },
    );
    const ipc = await client();
    const calls = Array.from({ length: 40 }, () => ipc.call('registrations', auth));
    await vi.waitFor(() => expect(running).toBe(4));
    release();
    expect(await Promise.all(calls)).toHaveLength(40);
    expect(peak).toBeLessThanOrEqual(4);
  });

  it('delivers notifications to the typed client', async () => {
    let connection: IpcConnection | undefined;
    await start({
      observe: (_, opened) => {
        connection = opened;
        return { observing: true };
      },
    });
    const ipc = await client();
    const received: unknown[] = [];
    ipc.on('deleted', (n) => received.push(n));
    await ipc.call('observe', auth);
    connection?.notify('deleted', { appId: auth.appId, count: 3 });
    await vi.waitFor(() => expect(received).toEqual([{ appId: auth.appId, count: 3 }]));
  });

  it('fails pending calls and reports close when the daemon goes away', async () => {
    await start({ registrations: () => new Promise(() => {}) });
    const ipc = await client();
    const closed = new Promise((resolve) => ipc.on('close', resolve));
    const call = ipc.call('registrations', auth).catch((e: unknown) => e);
    await server?.close();
    expect(isFosspushError(await call, 'CLOSED')).toBe(true);
    expect(isFosspushError(await closed, 'CLOSED')).toBe(true);
    await expect(ipc.call('registrations', auth)).rejects.toSatisfy((e) => isFosspushError(e, 'CLOSED'));
  });

  it('says UNAVAILABLE when no daemon listens', async () => {
    await expect(connectIpc({ socketPath })).rejects.toSatisfy((e) => isFosspushError(e, 'UNAVAILABLE'));
  });

  it('takes over a stale socket file but refuses a live one', async () => {
    const first = await start();
    const second = createIpcServer(handlers(), { socketPath });
    await expect(second.listen()).rejects.toSatisfy((e) => isFosspushError(e, 'UNAVAILABLE'));
    await first.close();
    await writeFile(socketPath, '');
    // A leftover regular file is not a socket: listen reports EADDRINUSE, nothing answers, it is replaced.
    await start();
    expect(await (await client()).call('registrations', auth)).toEqual({ registrations: [] });
  });
});
