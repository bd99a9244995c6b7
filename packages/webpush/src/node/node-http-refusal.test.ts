import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { FosspushError } from '@fosspush/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { refuseRequest, refuseSocket, writeRawResponse } from './node-http-refusal.js';
import { errorResponse } from '../service/http-status.js';

/** What a refusal wrote on a socket, and whether it closed it. */
function rawSocket() {
  const socket = new PassThrough();
  let written = '';
  socket.on('data', (chunk: Buffer) => {
    written += chunk.toString();
  });
  return { socket, written: () => written, ended: () => socket.writableEnded };
}

describe('refuseSocket', () => {
  it.each([
    [new FosspushError('NOT_FOUND', 'no such subscription set'), 404, 'Not Found'],
    [new FosspushError('INVALID_REQUEST', 'after must be a non-negative integer', { details: { field: 'after' } }), 400, 'Bad Request'],
    [new FosspushError('STORAGE_FULL', 'full'), 507, 'Insufficient Storage'],
  ])('writes a whole response with the reason phrase of STATUS_CODES, the JSON body of errorResponse, and closes (%#)', (error, status, reason) => {
    const raw = rawSocket();
    expect(refuseSocket(raw.socket, error)).toBe(status);
    const [head, body] = raw.written().split('\r\n\r\n') as [string, string];
    const lines = head.split('\r\n');
    expect(lines[0]).toBe(`HTTP/1.1 ${status} ${reason}`);
    expect(lines).toContain('connection: close');
    expect(lines).toContain('content-type: application/json');
    expect(lines).toContain(`content-length: ${Buffer.byteLength(body)}`);
    expect(body).toBe(errorResponse(error).body);
    expect(raw.ended()).toBe(true);
  });

  it('carries Retry-After, and keeps an internal error out of the body', () => {
    const busy = rawSocket();
    refuseSocket(busy.socket, new FosspushError('UNAVAILABLE', 'too many connections', { details: { retryAfterSeconds: 10 } }));
    expect(busy.written()).toMatch(/^HTTP\/1.1 503 Service Unavailable\r\n/);
    expect(busy.written()).toContain('\r\nretry-after: 10\r\n');
    const broken = rawSocket();
    expect(refuseSocket(broken.socket, new Error('SQLITE_CORRUPT at /var/lib/x.db'))).toBe(500);
    expect(broken.written()).not.toContain('SQLITE_CORRUPT');
  });
});

describe('writeRawResponse', () => {
  it('takes a status no error code maps to (431), with its reason phrase', () => {
    const raw = rawSocket();
    writeRawResponse(raw.socket, { ...errorResponse(new FosspushError('INVALID_REQUEST', 'Header overflow')), status: 431 });
    expect(raw.written()).toMatch(/^HTTP\/1.1 431 Request Header Fields Too Large\r\n/);
    expect(JSON.parse(raw.written().split('\r\n\r\n')[1] as string)).toEqual({ code: 'INVALID_REQUEST', message: 'Header overflow' });
  });
});

describe('refuseRequest', () => {
  /** A real node:http server whose handler refuses with `error`; `readBody` decides whether the request body is read first. */
  const serve = async (error: FosspushError, readBody: boolean) => {
    const statuses: number[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      if (readBody) req.resume().once('end', () => statuses.push(refuseRequest(req, res, error)));
      else statuses.push(refuseRequest(req, res, error));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    server.unref();
    return { port: (server.address() as AddressInfo).port, statuses };
  };

  const post = (port: number, body: string, complete: boolean) =>
    new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
      const req = request({ port, host: '127.0.0.1', method: 'POST', path: '/p/x', headers: { 'content-length': String(body.length + (complete ? 0 : 100)) } }, (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.once('error', reject);
      req.write(body);
      if (complete) req.end();
    });

  it('answers with the status and body of errorResponse, keeping a fully read connection open', async () => {
    const error = new FosspushError('RATE_LIMITED', 'slow down', { details: { retryAfterSeconds: 3 } });
    const { port, statuses } = await serve(error, true);
    const answer = await post(port, 'hello', true);
    expect(answer.status).toBe(429);
    expect(answer.headers['retry-after']).toBe('3');
    expect(answer.headers['connection']).not.toBe('close');
    expect(answer.body).toBe(errorResponse(error).body);
    expect(statuses).toEqual([429]);
  });

  it('closes the connection when the request body was left unread', async () => {
    const { port } = await serve(new FosspushError('PAYLOAD_TOO_LARGE', 'too large'), false);
    const answer = await post(port, 'x'.repeat(10), false);
    expect(answer.status).toBe(413);
    expect(answer.headers['connection']).toBe('close');
  });
});
