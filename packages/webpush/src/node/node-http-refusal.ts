import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type ErrorResponse, errorResponse } from '../service/http-status.js';

/**
 * Writes an answer as a whole HTTP/1.1 response on a socket that has no ServerResponse (an
 * upgrade request, a connection refused before its request was read, node's own parser
 * refusals), then closes the socket. The reason phrase comes from node's `STATUS_CODES`.
 *
 * @example
 * writeRawResponse(socket, { ...errorResponse(error), status: 431 });
 */
export function writeRawResponse(socket: Duplex, { status, headers, body }: ErrorResponse): void {
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
  for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
  socket.end(`${head}\r\n${body}`);
}

/**
 * Refuses on a raw socket with the error's answer (`errorResponse`: status, JSON body,
 * Retry-After) and closes it. Returns the status, for the request metrics.
 *
 * @example
 * server.on('upgrade', (req, socket) => refuseSocket(socket, new FosspushError('NOT_FOUND', 'no such set')));
 */
export function refuseSocket(socket: Duplex, error: unknown): number {
  const answer = errorResponse(error);
  writeRawResponse(socket, answer);
  return answer.status;
}

/**
 * Refuses a request with the error's answer. When the request body was not read to its end
 * (too large, too slow) the connection is closed after the answer: the unread bytes would
 * otherwise be parsed as the next request. A response already under way can only be cut.
 * Returns the status, for the request metrics.
 *
 * @example
 * handle(req, res).catch((error) => refuseRequest(req, res, error));
 */
export function refuseRequest(req: IncomingMessage, res: ServerResponse, error: unknown): number {
  const { status, headers, body } = errorResponse(error);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  if (!req.complete) {
    headers['connection'] = 'close';
    res.once('finish', () => req.socket.destroySoon());
  }
  res.writeHead(status, headers).end(body);
  return status;
}
