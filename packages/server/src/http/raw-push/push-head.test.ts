import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { type SeededRandom, seededRandom } from '@fosspush/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAND_OVER, NEED_MORE, PushHead, type PushHeadLimits, readPushHead } from './push-head.js';

/**
 * The raw push path must never read a request differently from llhttp: whatever it accepts,
 * Node's own parser (a real node:http server on port 0) must read the same way, and where it
 * hands over, the request boundary must be the one Node sees. Inputs are generated from a seeded
 * source, with hostile variations, and fed to our parser in random chunks.
 */

const LIMITS: PushHeadLimits = { basePath: '/push', maxHeadBytes: 4096, maxBodyBytes: 4096 };
const PUSH_ID = 'AAAAAAAAAAAAAAAAAAAAAA';

interface ParsedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
}

interface OurReading {
  requests: ParsedRequest[];
  /** Where the first request we do not serve starts, if one does. */
  handOverAt: number | undefined;
}

/** Reads `input` the way a connection does, the bytes arriving in the given chunks. */
function readAsConnection(input: Buffer, chunkEnds: number[]): OurReading {
  const requests: ParsedRequest[] = [];
  let offset = 0;
  for (const available of [...chunkEnds, input.length]) {
    const buffer = input.subarray(0, available);
    while (offset < buffer.length) {
      const head = readPushHead(buffer, offset, LIMITS);
      if (head === NEED_MORE) break;
      if (head === HAND_OVER) return { requests, handOverAt: offset };
      expect(head).toBeInstanceOf(PushHead);
      const end = offset + head.headLength + head.bodyLength;
      if (end > buffer.length) break;
      requests.push({ method: 'POST', url: head.target, headers: { ...head.headers }, bodyLength: head.bodyLength });
      offset = end;
    }
  }
  return { requests, handOverAt: undefined };
}

const TOKENS = ['TTL', 'X-Custom', 'Urgency', 'topic', 'content-encoding', 'Content-Type', 'x-forwarded-for', 'authorization', 'prefer', 'accept', 'user-agent'];
const VALUES = ['60', '0', 'aes128gcm', 'high', 'very-low', 'abc_-DEF', 'vapid t=a.b.c, k=xyz', '1.2.3.4, 5.6.7.8', 'respond-async', '*/*', 'curl/8'];

/** One field line, now and then hostile. */
function fieldLine(random: SeededRandom, name: string): string {
  const value = random.pick(VALUES);
  switch (random.int(110)) {
    case 0:
      return `${name} : ${value}\r\n`; // space before the colon
    case 1:
      return `${name}: ${value}\r\n ${value}\r\n`; // obs-fold
    case 2:
      return `${name}:\t${value} \t\r\n`; // tabs and trailing whitespace
    case 3:
      return `${name}: ${value}\x7f\r\n`; // DEL
    case 4:
      return `${name}: ${value}\x00\r\n`; // NUL
    case 5:
      return `${name}: caf\xe9\r\n`; // obs-text
    case 6:
      return `${name}: ${value}\n`; // bare LF
    case 7:
      return `${name}: a\rb\r\n`; // bare CR
    case 8:
      return `${name}:${value}\r\n`; // no space
    case 9:
      return `${name}: \r\n`; // empty value
    case 10:
      return `${random.pick(['transfer-encoding: chunked', 'Transfer-Encoding: identity', 'expect: 100-continue', 'upgrade: websocket', 'Connection: Upgrade', 'connection: close', 'Connection: Keep-Alive', 'connection: keep-alive, TE'])}\r\n`;
    case 11:
      return `${random.pick(['content-length: 3', 'Content-Length: +3', 'content-length: 3, 3', 'content-length: 0x3', 'content-length: 99999999999', 'content-length:  3 ', 'content-length: 5000'])}\r\n`;
    case 12:
      return `${random.pick(['host: other', '__proto__: x', 'x(y): z', 'x y: z', ': empty', 'toString: x', 'constructor: y'])}\r\n`;
    case 13:
      return `x-long: ${'a'.repeat(random.pick([100, 2100, 5000, 9000]))}\r\n`;
    default:
      return `${name}: ${value}\r\n`;
  }
}

function requestLine(random: SeededRandom): string {
  const method = random.chance(0.95) ? 'POST' : random.pick(['GET', 'post', 'PUT', 'POST ', 'PRI', 'OPTIONS']);
  const target = random.chance(0.9)
    ? random.pick([`/p/${PUSH_ID}`, `/push/p/${PUSH_ID}`])
    : random.pick([`/p/${PUSH_ID}?x=1`, `/p/${PUSH_ID.slice(1)}`, `http://h/p/${PUSH_ID}`, '*', `/p/${PUSH_ID}#f`, `/p/%41${PUSH_ID.slice(3)}`, `/pushp/${PUSH_ID}`, '/subscribe', `/p/${PUSH_ID}/`]);
  const version = random.chance(0.95) ? 'HTTP/1.1' : random.pick(['HTTP/1.0', 'HTTP/1.2', 'http/1.1', 'HTTP/2.0', 'HTTP/1.1 ']);
  const end = random.chance(0.95) ? '\r\n' : random.pick(['\n', '\r', '\r\r\n']);
  return `${random.chance(0.03) ? '\r\n' : ''}${method} ${target} ${version}${end}`;
}

/** One request: mostly a push as app servers send it, sometimes bent out of shape. */
function request(random: SeededRandom): string {
  const body = 'x'.repeat(random.pick([0, 3, 40, 200]));
  let head = requestLine(random);
  if (random.chance(0.95)) head += 'Host: localhost\r\n';
  const fields = random.int(6);
  // Distinct names, but for the odd repeat: a repeated field is handed over, which is tested
  // often enough by the rule below without making it the usual case.
  const names = [...TOKENS].sort(() => random.next() - 0.5);
  if (random.chance(0.05)) names[1] = names[0] as string;
  let lengthWritten = false;
  for (let i = 0; i < fields; i++) {
    if (!lengthWritten && random.chance(0.3)) {
      head += `Content-Length: ${body.length}\r\n`;
      lengthWritten = true;
    }
    head += fieldLine(random, names[i] as string);
  }
  if (!lengthWritten && random.chance(0.93)) head += `content-length: ${body.length}\r\n`;
  const bodyBytes = random.chance(0.05) ? body.slice(0, Math.max(0, body.length - 1)) : body;
  return `${head}${random.chance(0.97) ? '\r\n' : '\n'}${bodyBytes}`;
}

function input(random: SeededRandom): Buffer {
  let text = '';
  const count = 1 + random.int(4);
  for (let i = 0; i < count; i++) text += request(random);
  const bytes = Buffer.from(text, 'latin1');
  // Now and then a byte changed anywhere: what no generator rule thought of.
  if (random.chance(0.15) && bytes.length > 0) bytes[random.int(bytes.length)] = random.pick([0x00, 0x0a, 0x0d, 0x20, 0x3a, 0x80, 0xff, 0x7f, 0x09, 0x41]);
  return bytes;
}

function randomChunkEnds(random: SeededRandom, length: number): number[] {
  const ends: number[] = [];
  for (let at = 0; at < length; ) {
    at += 1 + random.int(random.chance(0.3) ? 4 : 90);
    if (at < length) ends.push(at);
  }
  return ends;
}

/** What Node's server reads from `bytes` on one connection, request by request. */
async function readByNode(port: number, bytes: Buffer, seen: ParsedRequest[][]): Promise<ParsedRequest[]> {
  const requests: ParsedRequest[] = [];
  seen.push(requests);
  const socket = connect(port, '127.0.0.1');
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.end(bytes);
  await new Promise((resolve) => socket.once('close', resolve));
  seen.pop();
  // A request whose body never came in full is no request yet (nor for us).
  return requests.filter((parsed) => parsed.bodyLength >= 0);
}

describe('readPushHead against llhttp', () => {
  let server: Server;
  let port: number;
  const seen: ParsedRequest[][] = [];

  beforeAll(async () => {
    server = createServer({ maxHeaderSize: 8192 }, (req: IncomingMessage, res) => {
      const parsed: ParsedRequest = { method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, bodyLength: -1 };
      seen.at(-1)?.push(parsed);
      let length = 0;
      req.on('data', (chunk: Buffer) => (length += chunk.length));
      req.on('end', () => {
        parsed.bodyLength = length;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a plain push, and hands over at a request it does not serve', () => {
    const push = `POST /p/${PUSH_ID} HTTP/1.1\r\nHost: h\r\nTTL: 60\r\ncontent-length: 3\r\n\r\nabc`;
    const get = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
    const reading = readAsConnection(Buffer.from(push + push + get, 'latin1'), []);
    expect(reading.requests).toHaveLength(2);
    expect(reading.requests[0]).toEqual({ method: 'POST', url: `/p/${PUSH_ID}`, headers: { host: 'h', ttl: '60', 'content-length': '3' }, bodyLength: 3 });
    expect(reading.handOverAt).toBe(2 * push.length);
  });

  it('hands over at once on the first byte that cannot start a push or continue its head', () => {
    for (const start of ['G', 'POST /p/x\x00', `POST /p/${PUSH_ID} HTTP/1.1\nH`, `POST /p/${PUSH_ID} HTTP/1.1\r\n ob`, `POST /p/${PUSH_ID} HTTP/1.1\r\nna me`]) {
      expect(readPushHead(Buffer.from(start, 'latin1'), 0, LIMITS), start).toBe(HAND_OVER);
    }
    expect(readPushHead(Buffer.from(`POST /p/${PUSH_ID} HTTP/1.1\r\nttl: 6`, 'latin1'), 0, LIMITS)).toBe(NEED_MORE);
    expect(readPushHead(Buffer.from(`POST /p/${PUSH_ID} HTTP/1.1\r\nx: ${'a'.repeat(5000)}`, 'latin1'), 0, LIMITS)).toBe(HAND_OVER);
  });

  it('accepts only what Node reads the same way, at the same boundaries, however the bytes are split', async () => {
    const random = seededRandom(18);
    let accepted = 0;
    let handedOver = 0;
    for (let i = 0; i < 1000; i++) {
      const bytes = input(random);
      const whole = readAsConnection(bytes, []);
      const split = readAsConnection(bytes, randomChunkEnds(random, bytes.length));
      const context = JSON.stringify(bytes.toString('latin1'));
      expect(split, context).toEqual(whole);
      const node = await readByNode(port, bytes, seen);
      expect(node.slice(0, whole.requests.length), context).toEqual(whole.requests);
      if (whole.handOverAt === undefined) expect(node.length, context).toBe(whole.requests.length);
      accepted += whole.requests.length;
      if (whole.handOverAt !== undefined) handedOver++;
    }
    // The generator must exercise both sides, or the comparison proves little.
    console.log({ accepted, handedOver });
    expect(accepted).toBeGreaterThan(700);
    expect(handedOver).toBeGreaterThan(300);
  });
});
