import type { IncomingMessage } from 'node:http';
import { FosspushError } from '@fosspush/core';

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

/**
 * The base URL clients use to reach this server: the configured public URL, else what the
 * request's Host header says. Used for Location/Link targets and as the VAPID audience.
 */
export function publicBase(req: IncomingMessage, options: { publicUrl: string | undefined; trustProxy: boolean; fallbackHost: string }): string {
  if (options.publicUrl !== undefined) return options.publicUrl;
  const forwardedProto = options.trustProxy ? req.headers['x-forwarded-proto'] : undefined;
  const proto = forwardedProto === 'https' ? 'https' : 'http';
  const host = req.headers.host;
  return `${proto}://${host && /^[A-Za-z0-9.:[\]-]+$/.test(host) ? host : options.fallbackHost}`;
}

