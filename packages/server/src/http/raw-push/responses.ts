import { STATUS_CODES } from 'node:http';
import type { Clock } from '@fosspush/core';
import type { ErrorResponse } from '@fosspush/webpush/service';
import type { PushCreated } from '../../handlers/push.js';

/**
 * The response heads of the raw push path, byte for byte what Node's server sends for the same
 * answer (the header names of the 201 and of `errorResponse` as the handlers give them, then
 * Date, Connection and Keep-Alive as Node adds them).
 */
export class PushResponses {
  private dateSecond = -1;
  private date = '';
  private readonly keepAlive: string;

  constructor(
    private readonly clock: Clock,
    keepAliveTimeoutMs: number,
  ) {
    this.keepAlive = `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveTimeoutMs / 1000)}\r\n\r\n`;
  }

  created(created: PushCreated): string {
    return `HTTP/1.1 201 Created\r\nlocation: ${created.location}\r\nttl: ${created.ttlSeconds}\r\ncontent-length: 0\r\n${this.trailer(false)}`;
  }

  refused({ status, headers, body }: ErrorResponse, close: boolean): string {
    let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
    for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
    return `${head}Content-Length: ${Buffer.byteLength(body)}\r\n${this.trailer(close)}${body}`;
  }

  /** Date (rebuilt once a second, as Node does), then the connection's fate. */
  private trailer(close: boolean): string {
    const second = Math.floor(this.clock.now() / 1000);
    if (second !== this.dateSecond) {
      this.dateSecond = second;
      this.date = `Date: ${new Date(second * 1000).toUTCString()}\r\n`;
    }
    return this.date + (close ? 'Connection: close\r\n\r\n' : this.keepAlive);
  }
}
