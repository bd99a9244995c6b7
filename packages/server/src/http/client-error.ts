import type { Duplex } from 'node:stream';
import { FosspushError } from '@fosspush/core';
import { writeRawResponse } from '@fosspush/webpush/node';
import { errorResponse } from '@fosspush/webpush/service';

/**
 * Answers a request refused before it was read (Node's own parser refusals: oversized or
 * malformed headers, a head that took too long; the raw push path's head timeout) instead of
 * a reset, and closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const refusal = new FosspushError(status === 408 ? 'TIMEOUT' : 'INVALID_REQUEST', error.message);
  // No error code means 431, so the status is given here; the body is the usual one.
  writeRawResponse(socket, { ...errorResponse(refusal), status });
}
