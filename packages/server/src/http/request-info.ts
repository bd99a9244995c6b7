import type { IncomingMessage } from 'node:http';

/**
 * The client's address. Behind a reverse proxy every request comes from the proxy, so with
 * `trustProxy` the last X-Forwarded-For entry (the one the proxy itself appended) is used;
 * earlier entries come from the client and prove nothing.
 */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = req.headers['x-forwarded-for'];
    const last = (Array.isArray(forwarded) ? forwarded.join(',') : forwarded)?.split(',').pop()?.trim();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
