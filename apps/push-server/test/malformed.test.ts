import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countingDevice, post } from './device.js';
import { type CliProcess, startCli } from './rig.js';

let server: CliProcess;
let port: number;
let target: Awaited<ReturnType<ReturnType<typeof countingDevice>['subscribe']>>;

beforeAll(async () => {
  server = await startCli(['--listen', '127.0.0.1:0', '--memory', '--body-timeout-ms', '500', '--default-ttl', 'strict']);
  port = Number(new URL(server.url).port);
  const device = countingDevice(server.url);
  target = await device.subscribe();
}, 30_000);
afterAll(async () => {
  expect(await server.stop('SIGTERM')).toBe(0);
});

/**
 * Writes raw bytes and resolves with the status line of the answer (or '' if the socket closed).
 * `paced` writes a chunk every few milliseconds and stops once an answer arrives, as a client
 * streaming a large body does: a server that refuses the body early closes the connection, and
 * bytes still arriving then would only reset it.
 */
function raw(chunks: (string | Buffer)[], options: { keepOpen?: boolean; paced?: boolean } = {}): Promise<{ status: number; text: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, socket }));
    const finish = () => {
      if (!options.keepOpen) socket.end();
    };
    socket.on('connect', () => {
      if (!options.paced) {
        for (const chunk of chunks) socket.write(chunk);
        return finish();
      }
      const queue = [...chunks];
      const next = () => {
        const chunk = queue.shift();
        if (text !== '' || chunk === undefined) return finish();
        socket.write(chunk);
        setTimeout(next, 5);
      };
      next();
    });
  });
}

const pushPath = () => new URL(target.endpoint).pathname;
const aes128gcmBody = () => {
  const body = Buffer.alloc(200);
  body.set([0, 0, 16, 0, 65, 4], 16);
  return body;
};

describe('fosspush-server facing malformed requests', () => {
  it('answers garbage on the socket with 400', async () => {
    const { status } = await raw(['HELLO THERE\r\n\r\n']);
    expect(status).toBe(400);
  });

  it('answers oversized headers with 431', async () => {
    const { status } = await raw([`POST ${pushPath()} HTTP/1.1\r\nhost: x\r\nx-junk: ${'a'.repeat(9000)}\r\n\r\n`]);
    expect(status).toBe(431);
  });

  it('answers a body that trickles in too slowly with 408 and closes the connection', async () => {
    const started = Date.now();
    const { status, text } = await raw([`POST ${pushPath()} HTTP/1.1\r\nhost: x\r\nttl: 60\r\ncontent-encoding: aes128gcm\r\ncontent-length: 200\r\n\r\n`, Buffer.alloc(10)], {
      keepOpen: true,
    });
    expect(status).toBe(408);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
  });

  it('cuts off a chunked body past 4096 bytes with 413', async () => {
    const chunk = Buffer.alloc(1024);
    const parts: (string | Buffer)[] = [`POST ${pushPath()} HTTP/1.1\r\nhost: x\r\nttl: 60\r\ncontent-encoding: aes128gcm\r\ntransfer-encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 8; i++) parts.push(`400\r\n`, chunk, '\r\n');
    parts.push('0\r\n\r\n');
    const { status } = await raw(parts, { paced: true });
    expect(status).toBe(413);
  });

  it.each([
    ['a missing TTL', { 'content-encoding': 'aes128gcm' }, 400],
    ['a TTL that is not a number', { ttl: 'soon', 'content-encoding': 'aes128gcm' }, 400],
    ['an unknown Urgency', { ttl: '60', urgency: 'asap', 'content-encoding': 'aes128gcm' }, 400],
    ['a Topic with spaces', { ttl: '60', topic: 'two words', 'content-encoding': 'aes128gcm' }, 400],
    ['gzip instead of aes128gcm', { ttl: '60', 'content-encoding': 'gzip' }, 400],
  ])('answers %s with %i and a JSON reason', async (_name, headers, status) => {
    const response = await fetch(target.endpoint, { method: 'POST', headers, body: aes128gcmBody() });
    expect(response.status).toBe(status);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toMatch(/^[A-Z_]+$/);
    expect(body.message.length).toBeGreaterThan(10);
  });

  it('keeps serving everyone else while 50 clients hold slow bodies open', async () => {
    const slow = Array.from({ length: 50 }, () =>
      raw([`POST ${pushPath()} HTTP/1.1\r\nhost: x\r\nttl: 60\r\ncontent-encoding: aes128gcm\r\ncontent-length: 4000\r\n\r\n`, Buffer.alloc(1)], { keepOpen: true }),
    );
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await post(target, `meanwhile-${i}`));
    expect(ids.every(Boolean)).toBe(true);
    expect((await Promise.all(slow)).map((answer) => answer.status)).toEqual(Array(50).fill(408));
    expect(await post(target, 'afterwards')).toBeDefined();
  });
});
