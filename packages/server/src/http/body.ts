import type { IncomingMessage } from 'node:http';
import { FosspushError } from '@fosspush/core';

export interface ReadBodyOptions {
  maxBytes: number;
  /** The whole body must arrive within this time, however slowly it trickles. */
  timeoutMs: number;
}

/**
 * Reads a request body with a size cap and a deadline. A declared Content-Length above the
 * cap is refused before a byte is read; a chunked body is cut off as soon as it passes the cap.
 * A refused body is left unread, so the answer must close the connection (see `sendError`).
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
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error: FosspushError | undefined) => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) {
        req.pause();
        reject(error);
      } else {
        const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.maxBytes) {
        finish(new FosspushError('PAYLOAD_TOO_LARGE', `the body is over the limit of ${options.maxBytes} bytes`, {
          details: { field: 'body', limit: options.maxBytes },
        }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(undefined);
    const onError = (cause: Error) => finish(new FosspushError('CLOSED', 'the request body was cut off', { cause }));
    const onClose = () => {
      if (!req.complete) finish(new FosspushError('CLOSED', 'the client went away before sending the whole body'));
    };
    const timer = setTimeout(
      () => finish(new FosspushError('TIMEOUT', `the request body did not arrive within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}
