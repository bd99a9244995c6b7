import type { Broker, BrokerEvent } from '../broker.js';

/** The broker for a single node: publishing is a direct call to the local subscribers. */
export function createMemoryBroker(): Broker {
  const subscribers = new Map<string, Set<(event: BrokerEvent) => void>>();
  const publishSync = (owner: string, event: BrokerEvent) => {
    const listeners = subscribers.get(owner);
    if (listeners === undefined) return;
    // A copy, so that a listener (un)subscribing meanwhile changes only later events; the
    // usual single listener needs none.
    for (const listener of listeners.size === 1 ? listeners : [...listeners]) listener(event);
  };
  return {
    publishSync,
    async publish(owner, event) {
      publishSync(owner, event);
    },
    async subscribe(owner, listener) {
      const set = subscribers.get(owner) ?? new Set();
      subscribers.set(owner, set);
      set.add(listener);
      return async () => {
        set.delete(listener);
        if (set.size === 0) subscribers.delete(owner);
      };
    },
    async close() {
      subscribers.clear();
    },
  };
}
