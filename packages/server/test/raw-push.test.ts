import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createMemoryBroker,
  createMemoryStore,
  createVapidSigner,
  encryptWebPush,
  generateVapidKeys,
  type Logger,
  manualClock,
  type Store,
  utf8Encode,
} from '@fosspush/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { PushServerOptions } from '../src/index.js';
import { connectDevice, startServer, type StartedServer, type Subscription, subscribe } from './helpers.js';

/**
 * The raw push path (src/http/raw-push/) against Node's path: each behaviour is tested with the
 * path on (the default) and off, and must be the same on both.
 */

let started: StartedServer | undefined;
const clients: RawClient[] = [];
const folders: string[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await started?.server.close();
  started = undefined;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One TCP connection that writes raw bytes and reads the answers one by one, as they come. */
class RawClient {
  readonly responses: RawResponse[] = [];
  readonly closed: Promise<void>;
  private buffer = '';
  private waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      this.buffer += text;
      this.parse();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => this.wake());
  }

  static async open(url: string): Promise<RawClient> {
    const { hostname, port } = new URL(url);
    const socket = connect(Number(port), hostname);
    await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    clients.push(client);
    return client;
  }

  /** Resolves with the first `count` answers (all of them at once), or fails after 5 s. */
  async answers(count: number): Promise<RawResponse[]> {
    const deadline = Date.now() + 5000;
    while (this.responses.length < count) {
      if (this.socket.destroyed && this.buffer === '') throw new Error(`closed after ${this.responses.length} answers: ${JSON.stringify(this.responses)}`);
      if (Date.now() > deadline) throw new Error(`${this.responses.length} answers of ${count} after 5 s`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.responses.slice(0, count);
  }

  private parse(): void {
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const [statusLine, ...lines] = this.buffer.slice(0, end).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const body = headers['transfer-encoding'] === 'chunked' ? readChunked(this.buffer, end + 4) : readLength(this.buffer, end + 4, Number(headers['content-length'] ?? 0));
      if (body === undefined) break;
      this.responses.push({ status: Number(statusLine?.slice(9, 12)), headers, body: body.text });
      this.buffer = this.buffer.slice(body.end);
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function readLength(buffer: string, from: number, length: number): { text: string; end: number } | undefined {
  return buffer.length < from + length ? undefined : { text: buffer.slice(from, from + length), end: from + length };
}

/** A chunked body (Node's answers without a Content-Length), or undefined until all of it is in. */
function readChunked(buffer: string, from: number): { text: string; end: number } | undefined {
  let text = '';
  for (let at = from; ; ) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(buffer.slice(at, lineEnd), 16);
    if (size === 0) return buffer.length < lineEnd + 4 ? undefined : { text, end: lineEnd + 4 };
    if (buffer.length < lineEnd + 2 + size + 2) return undefined;
    text += buffer.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** The bytes of one push request, as an app server's HTTP client writes them. */
function pushBytes(target: string, body: Uint8Array, headers: Record<string, string> = {}): Buffer {
  const { pathname, host } = new URL(target);
  let head = `POST ${pathname} HTTP/1.1\r\nHost: ${host}\r\nTTL: 60\r\nContent-Encoding: aes128gcm\r\nContent-Length: ${body.length}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
}

async function payload(sub: Subscription, text = 'hello'): Promise<Uint8Array> {
  return new Uint8Array(await encryptWebPush(utf8Encode(text), sub.keys));
}

/** A logger that keeps what it is told. */
function keptLogger(): Logger & { events: { level: string; event: string; fields: Record<string, unknown> }[] } {
  const events: { level: string; event: string; fields: Record<string, unknown> }[] = [];
  const keep = (level: string) => (event: string, fields: Record<string, unknown> = {}) => events.push({ level, event, fields });
  return { events, debug: keep('debug'), info: keep('info'), warn: keep('warn'), error: keep('error') };
}

/** A memory store whose enqueue, once `hold()` is called, waits for `release()` (then fails with `fail` if given). */
function gatedStore(fail?: Error) {
  const store = createMemoryStore();
  let gate: Promise<void> | undefined;
  let release: () => void = () => undefined;
  const gated = new Proxy(store, {
    get(target, property) {
      // No synchronous path: every enqueue goes through the gate, asynchronously.
      if (property === 'enqueueSync') return undefined;
      if (property === 'enqueue') {
        return async (...args: Parameters<Store['enqueue']>) => {
          await gate;
          if (fail) throw fail;
          return target.enqueue(...args);
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    storage: { kind: 'custom', store: gated, broker: createMemoryBroker() } as const,
    hold: () => {
      gate = new Promise<void>((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

/** A connection that has had its push answered, and one whose push the store holds. */
async function idleAndBusy(base: string, sub: Subscription, hold: () => void): Promise<{ idle: RawClient; busy: RawClient }> {
  const idle = await RawClient.open(base);
  idle.socket.write(pushBytes(sub.push, await payload(sub)));
  expect((await idle.answers(1))[0]?.status).toBe(201);
  const busy = await RawClient.open(base);
  hold();
  busy.socket.write(pushBytes(sub.push, await payload(sub)));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { idle, busy };
}

async function metricsText(base: string): Promise<string> {
  return (await fetch(`${base}/metrics`)).text();
}

describe.each([true, false])('pushes with fastPushPath: %s', (fastPushPath) => {
  async function serve(options: PushServerOptions = {}): Promise<string> {
    started = await startServer({ fastPushPath, ...options });
    return started.url;
  }

  describe.each(['memory', 'sqlite'] as const)('on the %s store', (kind) => {
    it('answers pipelined pushes in request order, a later answer never overtaking one that waits', async () => {
      const folder = mkdtempSync(join(tmpdir(), 'fosspush-raw-'));
      folders.push(folder);
      const base = await serve({ storage: kind === 'memory' ? { kind } : { kind, path: join(folder, 'push.db') } });
      const keys = await generateVapidKeys();
      const restricted = await subscribe(base, { vapid: keys.publicKey });
      const open = await subscribe(base);
      const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
      const device = await connectDevice(restricted.set, { autoAck: true });
      const client = await RawClient.open(base);
      // The restricted pushes wait for their signature check; the open ones need not wait.
      client.socket.write(
        Buffer.concat([
          pushBytes(restricted.push, await payload(restricted, 'signed'), { Authorization: await signer.authorization(restricted.push) }),
          pushBytes(open.push, await payload(open)),
          pushBytes(restricted.push, await payload(restricted, 'unsigned')),
          pushBytes(open.push, await payload(open)),
        ]),
      );
      const answers = await client.answers(4);
      expect(answers.map((answer) => answer.status)).toEqual([201, 201, 401, 201]);
      await expect.poll(() => device.messages.length).toBe(1);
      expect(answers[0]?.headers['location']).toBe(`${base}/m/${device.messages[0]?.id}`);
      expect(answers[0]?.headers['ttl']).toBe('60');
      expect(answers[0]?.headers['content-length']).toBe('0');
      expect(answers[0]?.headers['connection']).toBe('keep-alive');
      expect(JSON.parse(answers[2]?.body ?? '')).toMatchObject({ code: 'UNAUTHENTICATED' });
      await device.close();
    });
  });

  it('hands a connection to Node at its first other request, after every earlier answer, and Node serves the rest', async () => {
    const base = await serve();
    const keys = await generateVapidKeys();
    const restricted = await subscribe(base, { vapid: keys.publicKey });
    const open = await subscribe(base);
    const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
    const client = await RawClient.open(base);
    client.socket.write(
      Buffer.concat([
        pushBytes(restricted.push, await payload(restricted), { Authorization: await signer.authorization(restricted.push) }),
        Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'),
        pushBytes(open.push, await payload(open)),
        Buffer.from(`GET ${new URL(open.push).pathname} HTTP/1.1\r\nHost: x\r\n\r\n`),
      ]),
    );
    const answers = await client.answers(4);
    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 201, 200]);
    expect(JSON.parse(answers[1]?.body ?? '')).toEqual({ status: 'ok' });
    // Split in the middle of a head, the next push still goes through on the same connection.
    const next = pushBytes(open.push, await payload(open));
    client.socket.write(next.subarray(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 20));
    client.socket.write(next.subarray(20));
    expect((await client.answers(5))[4]?.status).toBe(201);
  });

  it('keeps the byte order when the connection is handed over while a push waits and more bytes arrive meanwhile', async () => {
    const { storage, hold, release } = gatedStore();
    const base = await serve({ storage });
    const sub = await subscribe(base);
    const client = await RawClient.open(base);
    hold();
    client.socket.write(Buffer.concat([pushBytes(sub.push, await payload(sub)), Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')]));
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.socket.write(`GET /m/${'A'.repeat(22)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.responses).toHaveLength(0);
    release();
    const answers = await client.answers(3);
    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 404]);
  });

  it('limits per client address behind a proxy (X-Forwarded-For) and per push resource, and counts both', async () => {
    const base = await serve({ trustProxy: true, rateLimits: { perIp: { ratePerSecond: 0.001, burst: 3 }, perSubscription: { ratePerSecond: 0.001, burst: 2 } } });
    const a = await subscribe(base);
    const body = await payload(a);
    // One connection each: Node's path refuses before it reads the body, so it closes the connection.
    const answers: RawResponse[] = [];
    for (const forwardedFor of ['203.0.113.1, 10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.1', '10.0.0.1']) {
      const client = await RawClient.open(base);
      client.socket.write(pushBytes(a.push, body, { 'X-Forwarded-For': forwardedFor }));
      answers.push(...(await client.answers(1)));
    }
    // 10.0.0.1 twice, then the resource's bucket (2) is empty, then 10.0.0.1's (3) too.
    expect(answers.map((answer) => answer.status)).toEqual([201, 201, 429, 429, 429]);
    expect(Number(answers[2]?.headers['retry-after'])).toBeGreaterThan(0);
    const metrics = await metricsText(base);
    expect(metrics).toMatch(/fosspush_rate_limited_total\{scope="subscription"\} 2/);
    expect(metrics).toMatch(/fosspush_rate_limited_total\{scope="ip"\} 1/);
    // Node's path limits the address before it routes: its refusal is counted under "unknown".
    expect(metrics).toMatch(fastPushPath ? /fosspush_http_requests_total\{route="push",status="429"\} 3/ : /fosspush_http_requests_total\{route="push",status="429"\} 2/);
    expect(metrics).toMatch(/fosspush_http_requests_total\{route="push",status="201"\} 2/);
    expect(metrics).toMatch(/fosspush_messages_accepted_total 2/);
  });

  it('refuses a body over the cap with 413 and closes the connection, before reading it', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const client = await RawClient.open(base);
    client.socket.write(`POST ${new URL(sub.push).pathname} HTTP/1.1\r\nHost: x\r\nTTL: 60\r\nContent-Encoding: aes128gcm\r\nContent-Length: 5000\r\n\r\n`);
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(413);
    expect(answer?.headers['connection']).toBe('close');
    await client.closed;
  });

  it('answers 408 and closes when a body or a head trickles in past its deadline', async () => {
    const base = await serve({ bodyTimeoutMs: 300, headersTimeoutMs: 500 });
    const sub = await subscribe(base);
    const slowBody = await RawClient.open(base);
    const started = performance.now();
    slowBody.socket.write(pushBytes(sub.push, await payload(sub)).subarray(0, -10));
    const [bodyAnswer] = await slowBody.answers(1);
    expect(bodyAnswer?.status).toBe(408);
    expect(JSON.parse(bodyAnswer?.body ?? '')).toMatchObject({ code: 'TIMEOUT' });
    await slowBody.closed;
    expect(performance.now() - started).toBeLessThan(300 + 1500);

    const slowHead = await RawClient.open(base);
    const headStarted = performance.now();
    slowHead.socket.write(`POST ${new URL(sub.push).pathname} HTTP/1.1\r\nHost: x\r\n`);
    const trickle = setInterval(() => slowHead.socket.writable && slowHead.socket.write('X-Slow: 1\r\n'), 100);
    try {
      const [headAnswer] = await slowHead.answers(1);
      expect(headAnswer?.status).toBe(408);
      await slowHead.closed;
      expect(performance.now() - headStarted).toBeLessThan(500 + 1500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes a keep-alive connection idle past keepAliveTimeoutMs, and not before', async () => {
    const base = await serve({ keepAliveTimeoutMs: 400 });
    const sub = await subscribe(base);
    const client = await RawClient.open(base);
    client.socket.write(pushBytes(sub.push, await payload(sub)));
    const [answer] = await client.answers(1);
    expect(answer?.headers['keep-alive']).toBe('timeout=0');
    const answered = performance.now();
    await client.closed;
    const idleMs = performance.now() - answered;
    expect(idleMs).toBeGreaterThan(300);
    expect(idleMs).toBeLessThan(400 + 1500);
    expect(client.responses).toHaveLength(1);
  });

  it('drains on close: a push in flight gets its 201, one after it a 503 and the connection closes, idle ones close at once', async () => {
    const { storage, hold, release } = gatedStore();
    const base = await serve({ storage });
    const sub = await subscribe(base);
    const { idle, busy } = await idleAndBusy(base, sub, hold);
    const closing = started?.server.close();
    await idle.closed;
    busy.socket.write(pushBytes(sub.push, await payload(sub)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    release();
    const answers = await busy.answers(2);
    expect(answers.map((answer) => answer.status)).toEqual([201, 503]);
    expect(answers[1]?.headers['connection']).toBe('close');
    await busy.closed;
    await closing;
    started = undefined;
  });

  it('logs a failed push (5xx) as request_failed and answers 500 without the cause', async () => {
    const logger = keptLogger();
    const { storage } = gatedStore(new Error('disk on fire'));
    const base = await serve({ storage, logger });
    const sub = await subscribe(base);
    const client = await RawClient.open(base);
    client.socket.write(pushBytes(sub.push, await payload(sub)));
    const [answer] = await client.answers(1);
    expect(answer?.status).toBe(500);
    expect(answer?.body).not.toContain('fire');
    expect(logger.events.filter((entry) => entry.event === 'request_failed').map((entry) => entry.fields['route'])).toEqual(['push']);
  });

  it('lets closeIdleConnections and closeAllConnections of its httpServer reach every connection', async () => {
    const { storage, hold, release } = gatedStore();
    const base = await serve({ storage });
    const sub = await subscribe(base);
    const { idle, busy } = await idleAndBusy(base, sub, hold);
    // The connection gauge counts them (and the scrape's own).
    expect(Number(/^fosspush_http_connections (\d+)$/m.exec(await metricsText(base))?.[1])).toBeGreaterThanOrEqual(3);
    started?.server.httpServer.closeIdleConnections();
    await idle.closed;
    expect(busy.socket.destroyed).toBe(false);
    started?.server.httpServer.closeAllConnections();
    await busy.closed;
    release();
  });

  it('survives garbage on the socket, answering what Node would, and serves pushes after it', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const garbage = [
      'POST /p/\x00\x01\x02 HTTP/1.1\r\n\r\n',
      `POST ${new URL(sub.push).pathname} HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
      `POST ${new URL(sub.push).pathname} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
      `POST ${new URL(sub.push).pathname} HTTP/1.1\nHost: x\n\n`,
      '\xff\xfe\xfd\r\n\r\n',
      `POST ${new URL(sub.push).pathname} HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n`,
    ];
    for (const bytes of garbage) {
      const client = await RawClient.open(base);
      client.socket.end(Buffer.from(bytes, 'latin1'));
      await client.closed;
      for (const answer of client.responses) expect(answer.status, JSON.stringify(bytes)).toBeGreaterThanOrEqual(400);
    }
    const reset = await RawClient.open(base);
    reset.socket.write(pushBytes(sub.push, await payload(sub)).subarray(0, 40));
    reset.socket.resetAndDestroy();
    const client = await RawClient.open(base);
    client.socket.write(pushBytes(sub.push, await payload(sub)));
    expect((await client.answers(1))[0]?.status).toBe(201);
  });
});

describe('the raw path answers as Node does', () => {
  /** Status line and header names in order, and the values that do not vary between servers. */
  async function answerShapes(fastPushPath: boolean): Promise<string[]> {
    started = await startServer({ fastPushPath });
    const base = started.url;
    const sub = await subscribe(base);
    const client = await RawClient.open(base);
    client.socket.write(Buffer.concat([pushBytes(sub.push, await payload(sub)), pushBytes(sub.push, Buffer.from('not aes128gcm'))]));
    const answers = await client.answers(2);
    await started.server.close();
    started = undefined;
    return answers.map((answer) => {
      const fixed = Object.entries(answer.headers).map(([name, value]) => (['location', 'date'].includes(name) ? name : `${name}: ${value}`));
      return `${answer.status} ${fixed.join(' | ')} | ${answer.body}`;
    });
  }

  it('with the same headers, in the same order, and the same bodies', async () => {
    const raw = await answerShapes(true);
    const node = await answerShapes(false);
    expect(raw[0]).toBe(node[0]);
    // Node frames a refusal's body as chunked; the raw path gives its length.
    expect(raw[1]?.replace(/ \| content-length: \d+/, '')).toBe(node[1]?.replace(' | transfer-encoding: chunked', ''));
  });
});

describe('the raw path deadlines', () => {
  it('follow the injected clock: 408 for a silent or slow head and a slow body, close when idle', async () => {
    const clock = manualClock(Date.now());
    started = await startServer({ fastPushPath: true, runtime: { clock, timers: clock.timers }, headersTimeoutMs: 10_000, bodyTimeoutMs: 5000, keepAliveTimeoutMs: 3000 });
    const base = started.url;
    const sub = await subscribe(base);
    const silent = await RawClient.open(base);
    const slowBody = await RawClient.open(base);
    slowBody.socket.write(pushBytes(sub.push, await payload(sub)).subarray(0, -5));
    const idle = await RawClient.open(base);
    idle.socket.write(pushBytes(sub.push, await payload(sub)));
    expect((await idle.answers(1))[0]?.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 50));

    clock.advance(2000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([silent, slowBody, idle].map((client) => client.socket.destroyed)).toEqual([false, false, false]);
    clock.advance(2000);
    await idle.closed;
    expect(idle.responses).toHaveLength(1);
    clock.advance(2000);
    expect((await slowBody.answers(1))[0]?.status).toBe(408);
    await slowBody.closed;
    expect(silent.socket.destroyed).toBe(false);
    clock.advance(5000);
    expect((await silent.answers(1))[0]?.status).toBe(408);
    await silent.closed;
  });

  it('do not move with a step of the wall clock: a keep-alive connection outlives a clock moved by a day', async () => {
    const clock = manualClock(Date.now());
    started = await startServer({ fastPushPath: true, runtime: { clock }, headersTimeoutMs: 2000 });
    const sub = await subscribe(started.url);
    const client = await RawClient.open(started.url);
    client.socket.write(pushBytes(sub.push, await payload(sub)));
    expect((await client.answers(1))[0]?.status).toBe(201);
    clock.advance(24 * 3600 * 1000);
    // Several ticks of the path's real timer (100 ms here) go by.
    await new Promise((resolve) => setTimeout(resolve, 500));
    client.socket.write(pushBytes(sub.push, await payload(sub)));
    expect((await client.answers(2))[1]?.status).toBe(201);
  });
});
