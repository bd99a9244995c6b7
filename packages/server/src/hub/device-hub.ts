import {
  type Broker,
  type DeviceHub,
  type DeviceSession,
  type DeviceSink,
  FosspushError,
  type Runtime,
  type Store,
  type StoredMessage,
} from '@fosspush/core';
import type { Subscriptions } from '../subscriptions.js';
import { DeviceSessionState } from './device-session.js';

export interface DeviceHubOptions {
  store: Store;
  broker: Broker;
  subscriptions: Subscriptions;
  runtime: Runtime;
  /** @default 1000 */
  maxUnackedPerDevice?: number;
  onDelivered?(message: StoredMessage): void;
  onError?(error: unknown, context: { setId: string }): void;
}

export interface PushDeviceHub extends DeviceHub {
  /** Device streams open on this node. */
  readonly sessionCount: number;
  /**
   * Acknowledges a message by id, from any source (a device stream, `DELETE /m/<id>`): removes
   * it from the store and tells every node, so a stream that sent it frees its slot.
   * False when it was not queued.
   */
  acknowledge(messageId: string): Promise<boolean>;
  /** Ends every device stream on this node (shutdown). */
  closeAll(reason: string): void;
}

/**
 * The service side of the device wire: one session per connected device stream, fed by the
 * store (replay) and the broker (live messages, acks from other nodes).
 *
 * @example
 * const hub = createDeviceHub({ store, broker, subscriptions, runtime });
 * const session = await hub.open(setId, sink, lastSeq);
 */
export function createDeviceHub(options: DeviceHubOptions): PushDeviceHub {
  const { store, broker, subscriptions, runtime } = options;
  const maxUnacked = options.maxUnackedPerDevice ?? 1000;
  const sessions = new Set<{ state: DeviceSessionState; sink: DeviceSink; stop: () => Promise<void> }>();

  const settle = async (messageId: string, owner: string, registrationId: string): Promise<boolean> => {
    const removed = await store.ack(messageId);
    if (removed) await broker.publish(owner, { type: 'ack', messageId, registrationId });
    return removed;
  };
  const acknowledge = async (messageId: string): Promise<boolean> => {
    const message = await store.getMessage(messageId);
    return message !== undefined && (await settle(messageId, message.owner, message.registrationId));
  };

  return {
    async open(setSecret, sink, afterSeq) {
      if (!(await subscriptions.setExists(setSecret))) throw new FosspushError('NOT_FOUND', 'no such subscription set');
      if (afterSeq !== undefined && (!Number.isSafeInteger(afterSeq) || afterSeq < 0)) {
        throw new FosspushError('INVALID_REQUEST', 'the resume cursor must be a non-negative integer', { details: { field: 'after' } });
      }
      const state = new DeviceSessionState({
        setId: setSecret,
        store,
        sink,
        clock: runtime.clock,
        afterSeq: afterSeq ?? 0,
        maxUnacked,
        onDelivered: (message) => options.onDelivered?.(message),
        onError: (error) => options.onError?.(error, { setId: setSecret }),
      });
      // Subscribe before the replay reads the store: a message enqueued in between is then
      // either in the replay or announced live, never in neither.
      const unsubscribe = await broker.subscribe(setSecret, (event) => state.onEvent(event));
      const entry = { state, sink, stop: unsubscribe };
      sessions.add(entry);
      void state.replay();

      const session: DeviceSession = {
        async ack(messageId) {
          if (state.isClosed) return;
          let registrationId = state.registrationOf(messageId);
          // A message this stream did not send must belong to the set before it may be acked.
          if (registrationId === undefined) {
            const message = await store.getMessage(messageId);
            if (!message || message.owner !== setSecret) return;
            registrationId = message.registrationId;
          }
          state.settle(messageId);
          await settle(messageId, setSecret, registrationId);
        },
        close() {
          if (state.isClosed) return;
          state.close();
          sessions.delete(entry);
          unsubscribe().catch((error) => options.onError?.(error, { setId: setSecret }));
        },
      };
      return session;
    },
    get sessionCount() {
      return sessions.size;
    },
    acknowledge,
    closeAll(reason) {
      for (const entry of [...sessions]) {
        entry.state.close();
        sessions.delete(entry);
        entry.sink.close(reason);
        entry.stop().catch(() => undefined);
      }
    },
  };
}
