import { createVapidSigner, newMessageId, resolveRuntime, type Runtime } from '@fosspush/core';
import { buildPushRequest, errorFromStatus, parseRetryAfterMs, type VapidAuthorizer } from '@fosspush/webpush/app-server';
import { createHttpClient, HTTP_CLIENT_DEFAULTS } from './http-client.js';
import type { Transport } from './transport.js';

/** VAPID keys and contact (RFC 8292), or a ready signer such as `createVapidSigner(...)`. */
export type VapidOption = Parameters<typeof createVapidSigner>[0] | VapidAuthorizer;

export interface WebPushRouteOptions {
  /**
   * Signs every push (RFC 8292). The JWT is cached per push-service origin, so signing costs
   * one ECDSA signature per origin per JWT lifetime, not one per message.
   */
  vapid?: VapidOption;
  /**
   * A push request whose connection stays silent this long fails with TIMEOUT (retried).
   * @default 30000
   */
  timeoutMs?: number;
}

export function toAuthorizer(vapid: VapidOption | undefined): VapidAuthorizer | undefined {
  if (vapid === undefined) return undefined;
  return 'authorization' in vapid && typeof vapid.authorization === 'function' ? vapid : createVapidSigner(vapid as Parameters<typeof createVapidSigner>[0]);
}

/** RFC 8030 section 5: the push service names the message resource in `Location`. */
function messageIdFromLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const last = location.split('?')[0]?.split('/').filter(Boolean).pop();
  return last ? decodeURIComponent(last) : undefined;
}

/**
 * The Web Push route: RFC 8291 encryption and the RFC 8030 request come from
 * `@fosspush/webpush` (`buildPushRequest`); this adds a pooled keep-alive HTTP client and turns
 * the push service's answer into a receipt or a typed error (404/410 are NOT_FOUND, 5xx
 * UNAVAILABLE with any `Retry-After`).
 */
export function createWebPushTransport(options: WebPushRouteOptions & { concurrency?: number; runtime?: Partial<Runtime> } = {}): Transport {
  const runtime = resolveRuntime(options.runtime);
  const vapid = toAuthorizer(options.vapid);
  const client = createHttpClient({
    maxSocketsPerOrigin: options.concurrency ?? HTTP_CLIENT_DEFAULTS.maxSocketsPerOrigin,
    timeoutMs: options.timeoutMs ?? HTTP_CLIENT_DEFAULTS.timeoutMs,
  });

  return {
    async send(token, message) {
      const request = await buildPushRequest(token, message.plaintext, {
        ttlSeconds: message.ttlSeconds,
        urgency: message.urgency,
        topic: message.topic,
        vapid,
      });
      if (message.dryRun) return { messageId: newMessageId(runtime) };
      const response = await client.request(request);
      if (response.status >= 200 && response.status < 300) {
        return { messageId: messageIdFromLocation(response.headers.location) ?? newMessageId(runtime) };
      }
      const retryAfterMs = parseRetryAfterMs(response.headers['retry-after'], runtime.clock.now());
      throw errorFromStatus(response.status, `push to ${new URL(request.url).origin}`, { retryAfterMs });
    },
    close: () => client.close(),
  };
}
