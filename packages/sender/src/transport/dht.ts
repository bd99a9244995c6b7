import { createPushMessage, encryptWebPush, resolveRuntime, type Runtime } from '@fosspush/core';
import { sendDhtMessage } from '@fosspush/dht';
import type { Transport } from './transport.js';
import { toAuthorizer, type WebPushRouteOptions } from './webpush.js';

export interface DhtRouteOptions {
  /**
   * dhtproxy URLs to put through instead of the ones each token names: any proxy reaches the
   * same DHT. @default each token's own proxies
   */
  proxies?: readonly string[];
  /** A put that takes longer fails with TIMEOUT (retried). @default 10000 */
  timeoutMs?: number;
}

/**
 * The OpenDHT route: the same RFC 8291 encryption as Web Push, then `@fosspush/dht` seals the
 * message for the token's key and puts it through a proxy. VAPID signs the value when the
 * sender has keys, so registrations restricted to them accept it.
 */
export function createDhtTransport(options: WebPushRouteOptions & { dht?: DhtRouteOptions; runtime?: Partial<Runtime> } = {}): Transport {
  const runtime = resolveRuntime(options.runtime);
  const vapid = toAuthorizer(options.vapid);
  return {
    async send(token, message) {
      const payload = await encryptWebPush(message.plaintext, token, { runtime });
      const push = createPushMessage(
        { payload, ttlSeconds: message.ttlSeconds, urgency: message.urgency, topic: message.topic },
        runtime,
      );
      if (!message.dryRun) {
        await sendDhtMessage(token, push, {
          runtime,
          vapid,
          proxies: options.dht?.proxies,
          timeoutMs: options.dht?.timeoutMs,
        });
      }
      return { messageId: push.id };
    },
  };
}
