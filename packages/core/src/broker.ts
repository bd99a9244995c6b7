import type { StoredMessage } from './store.js';

/**
 * Routes events to the server node that holds a subscriber's connection. In one process it is
 * a function call; across nodes a shared pub/sub (Redis) carries it.
 */
export type BrokerEvent =
  | { readonly type: 'message'; readonly message: StoredMessage }
  | { readonly type: 'ack'; readonly messageId: string; readonly registrationId: string }
  | { readonly type: 'unsubscribed'; readonly registrationId: string };

export interface Broker {
  /** Delivers the event to whoever subscribed to `owner`, on any node. */
  publish(owner: string, event: BrokerEvent): Promise<void>;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(owner: string, listener: (event: BrokerEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
