import type { Broker, BrokerEvent } from '@fosspush/core';
import { FosspushError } from '@fosspush/core';
import type { Redis } from 'ioredis';
import { connectRedis, REDIS_CONNECTION_DEFAULTS, type RedisConnectionOptions, toStoreError } from './connection.js';
import { decodeEvent, encodeEvent } from './event-codec.js';

export interface RedisBrokerOptions extends RedisConnectionOptions {
  /**
   * Clients to use instead of connecting to `url`; they stay open on close. The subscriber
   * must be dedicated: a Redis connection in subscriber mode runs no other commands.
   */
  clients?: { publisher: Redis; subscriber: Redis };
  /** An event that could not be decoded or a listener that threw. @default ignore */
  onEventError?: (error: unknown) => void;
}

type Listener = (event: BrokerEvent) => void;

/**
 * Routes events between push-server nodes over Redis pub/sub, one channel per device (owner).
 * Pub/sub is fire-and-forget: an event published while a node is disconnected is lost, which
 * is safe because every message is in the store first and a device that reconnects replays it.
 *
 * @example
 * const broker = createRedisBroker({ url: 'redis://127.0.0.1:6379' });
 * const stop = await broker.subscribe(setId, (event) => deliver(event));
 */
export function createRedisBroker(options: RedisBrokerOptions = {}): Broker {
  const prefix = options.keyPrefix ?? REDIS_CONNECTION_DEFAULTS.keyPrefix;
  const publisher = options.clients?.publisher ?? connectRedis(options);
  const subscriber = options.clients?.subscriber ?? connectRedis(options);
  const channelOf = (owner: string) => `${prefix}b:${owner}`;
  const listeners = new Map<string, Set<Listener>>();
  // One SUBSCRIBE in flight per channel: concurrent subscribers to one owner share it.
  const subscribing = new Map<string, Promise<unknown>>();
  let closed = false;

  subscriber.on('message', (channel: string, text: string) => {
    const set = listeners.get(channel);
    if (!set) return;
    let event: BrokerEvent;
    try {
      event = decodeEvent(text);
    } catch (error) {
      options.onEventError?.(error);
      return;
    }
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        options.onEventError?.(error);
      }
    }
  });

  const assertOpen = () => {
    if (closed) throw new FosspushError('CLOSED', 'the broker is closed');
  };

  return {
    async publish(owner, event) {
      assertOpen();
      try {
        await publisher.publish(channelOf(owner), encodeEvent(event));
      } catch (error) {
        throw toStoreError(error);
      }
    },
    async subscribe(owner, listener) {
      assertOpen();
      const channel = channelOf(owner);
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        subscribing.set(channel, subscriber.subscribe(channel).finally(() => subscribing.delete(channel)));
      }
      set.add(listener);
      try {
        await subscribing.get(channel);
      } catch (error) {
        set.delete(listener);
        throw toStoreError(error);
      }
      let active = true;
      return async () => {
        if (!active) return;
        active = false;
        const current = listeners.get(channel);
        if (!current?.delete(listener) || current.size > 0) return;
        listeners.delete(channel);
        if (!closed) await subscriber.unsubscribe(channel).catch(() => undefined);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      if (!options.clients) {
        await Promise.all([publisher, subscriber].map((client) => client.quit().catch(() => client.disconnect())));
      }
    },
  };
}
