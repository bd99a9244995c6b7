import type { EngineOptions } from './options.js';
import type { TopicStoreOption } from './topics/store.js';
import type { DhtRouteOptions } from './transport/dht.js';
import type { EmailRouteOptions } from './transport/email.js';
import type { WebPushRouteOptions } from './transport/webpush.js';

/**
 * Everything a sender needs, for both API shapes. Only what a channel needs is required by
 * it: `vapid` for Web Push endpoints that check VAPID (ours and most public services),
 * `email` for email tokens.
 */
export interface SenderOptions extends EngineOptions, WebPushRouteOptions {
  /** The email route; without it, email tokens fail with InternalServerError (not set up). */
  email?: EmailRouteOptions;
  /** The OpenDHT route; works without options, through each token's own proxies. */
  dht?: DhtRouteOptions;
  /**
   * Where topic membership lives (subscribeToTopic, `{ topic }` and `{ condition }` sends).
   * Opened on the first topic call only.
   * @default { kind: 'sqlite', path: 'fosspush-topics.sqlite' }
   */
  topics?: TopicStoreOption;
}
