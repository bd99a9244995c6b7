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
  /**
   * Optional: `publish` for a broker whose delivery is a function call (the memory broker):
   * every listener has run when it returns. A caller uses it when present (`announce` does),
   * so an event costs no promise.
   */
  publishSync?(owner: string, event: BrokerEvent): void;
  /** Resolves once the subscription is active; the returned function ends it. */
  subscribe(owner: string, listener: (event: BrokerEvent) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Publishes through the broker's synchronous path when it has one; a failure of either kind
 * goes to `onError` (one function for every event: no closure per call on the fast path) and never to the caller: an announcement is best effort, since a device
 * that misses one replays from the store.
 */
export function announce(broker: Broker, owner: string, event: BrokerEvent, onError: (error: unknown, event: BrokerEvent) => void): void {
  if (broker.publishSync === undefined) {
    broker.publish(owner, event).catch((error: unknown) => onError(error, event));
    return;
  }
  try {
    broker.publishSync(owner, event);
  } catch (error) {
    onError(error, event);
  }
}
