import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

function toHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const each of Array.isArray(value) ? value : [value]) out.append(name, each);
  }
  return out;
}

/**
 * A GET for the event stream over `node:http`. Node's built-in fetch (undici) ends a response
 * body that has been idle for 300 s (`bodyTimeout`), which would cut every stream whose
 * heartbeat the device has learned to space further apart; a plain request has no idle limit,
 * and the channel's own liveness decides when the stream is dead.
 */
export function streamFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  return new Promise((resolve, reject) => {
    const url = new URL(input);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    const req = send(url, { method: 'GET', headers, signal: init?.signal ?? undefined }, (res) => {
      const status = res.statusCode ?? 0;
      // A Response cannot carry a body with these statuses.
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body, { status, statusText: res.statusMessage, headers: toHeaders(res.headers) }));
    });
    req.on('error', reject);
    req.end();
  });
}
