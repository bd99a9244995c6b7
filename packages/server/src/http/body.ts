import type { IncomingMessage } from 'node:http';
import { FosspushError } from '@fosspush/core';

export interface ReadBodyOptions {
  maxBytes: number;
  /** The whole body must arrive within this time, however slowly it trickles. */
  timeoutMs: number;
}

/** Where the request's listeners (plain functions, `this` the request) find their read. */
const READ = Symbol('fosspush.bodyRead');
type Reading = IncomingMessage & { [READ]?: BodyRead };

/**
 * One body being read. Every push request reads one, so this is one object with the listeners
 * as shared functions rather than six closures a request.
 */
class BodyRead {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly req: Reading,
    private readonly maxBytes: number,
    readonly timeoutMs: number,
    private readonly resolve: (body: Uint8Array) => void,
    private readonly reject: (error: FosspushError) => void,
  ) {
    req[READ] = this;
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
    this.timer = setTimeout(onTimeout, timeoutMs, this);
  }

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBytes) {
      this.fail(new FosspushError('PAYLOAD_TOO_LARGE', `the body is over the limit of ${this.maxBytes} bytes`, {
        details: { field: 'body', limit: this.maxBytes },
      }));
      return;
    }
    this.chunks.push(chunk);
  }

  end(): void {
    this.detach();
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    this.resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
  }

  fail(error: FosspushError): void {
    this.detach();
    this.req.pause();
    this.reject(error);
  }

  private detach(): void {
    clearTimeout(this.timer);
    this.req[READ] = undefined;
    this.req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
  }
}

function onData(this: Reading, chunk: Buffer): void {
  this[READ]?.add(chunk);
}

function onEnd(this: Reading): void {
  this[READ]?.end();
}

function onError(this: Reading, cause: Error): void {
  this[READ]?.fail(new FosspushError('CLOSED', 'the request body was cut off', { cause }));
}

function onClose(this: Reading): void {
  if (!this.complete) this[READ]?.fail(new FosspushError('CLOSED', 'the client went away before sending the whole body'));
}

function onTimeout(read: BodyRead): void {
  read.fail(new FosspushError('TIMEOUT', `the request body did not arrive within ${read.timeoutMs} ms`));
}

/**
 * Reads a request body with a size cap and a deadline. A declared Content-Length above the
 * cap is refused before a byte is read; a chunked body is cut off as soon as it passes the cap.
 * A refused body is left unread, so the answer must close the connection (see `refuseRequest` in @fosspush/webpush).
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > options.maxBytes) {
    return Promise.reject(
      new FosspushError('PAYLOAD_TOO_LARGE', `the body is ${declared} bytes, the limit is ${options.maxBytes}`, {
        details: { field: 'body', limit: options.maxBytes },
      }),
    );
  }
  if (declared === 0 || req.complete) return Promise.resolve(new Uint8Array(0));
  return new Promise((resolve, reject) => {
    new BodyRead(req, options.maxBytes, options.timeoutMs, resolve, reject);
  });
}
