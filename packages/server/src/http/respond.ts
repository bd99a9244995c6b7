import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { errorResponse } from '@fosspush/webpush/service';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/**
 * Answers with the error's status (the table in @fosspush/webpush). When the request body was
 * not read to its end (too large, too slow) the connection is closed after the answer: the
 * unread bytes would otherwise be parsed as the next request.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: unknown): number {
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

/** The same answer on a socket that asked to upgrade, where no ServerResponse exists. */
export function rejectUpgrade(socket: Duplex, error: unknown): number {
  const { status, headers, body } = errorResponse(error);
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'connection: close', `content-length: ${Buffer.byteLength(body)}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
  return status;
}
