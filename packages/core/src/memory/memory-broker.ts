import type { Broker, BrokerEvent } from '../broker.js';

/** The broker for a single node: publishing is a direct call to the local subscribers. */
export function createMemoryBroker(): Broker {
  const subscribers = new Map<string, Set<(event: BrokerEvent) => void>>();
  return {
    async publish(owner, event) {
      for (const listener of [...(subscribers.get(owner) ?? [])]) listener(event);
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
