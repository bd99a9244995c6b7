import type { IncomingHttpHeaders } from 'node:http';

/** Request headers as Node's IncomingMessage has them, or the raw push path's parsed ones. */
export type RequestHeaders = IncomingHttpHeaders | Readonly<Record<string, string>>;

/**
 * The client's address. Behind a reverse proxy every request comes from the proxy, so with
 * `trustProxy` the last X-Forwarded-For entry (the one the proxy itself appended) is used;
 * earlier entries come from the client and prove nothing.
 */
export function clientIp(headers: RequestHeaders, remoteAddress: string | undefined, trustProxy: boolean): string {
  if (trustProxy) {
    const forwarded = headers['x-forwarded-for'];
    const last = (typeof forwarded === 'string' ? forwarded : forwarded?.join(','))?.split(',').pop()?.trim();
    if (last) return last;
  }
  return remoteAddress ?? 'unknown';
}
