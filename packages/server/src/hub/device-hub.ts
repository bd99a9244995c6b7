import { ackMessage, type Broker, isPending, type DeviceHub, FosspushError, type Runtime, type Store, type StoredMessage } from '@fosspush/core';
import type { Subscriptions } from '../subscriptions.js';
import { type HubContext, HubSession } from './hub-session.js';

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
  /** Renews the sets of streams open for `intervalMs` or more since their last renewal. */
  touchConnected(intervalMs: number): Promise<void>;
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
  const settleLater = async (removing: boolean | PromiseLike<boolean>, messageId: string, owner: string, registrationId: string) => {
    const removed = await removing;
    if (removed) await broker.publish(owner, { type: 'ack', messageId, registrationId });
    return removed;
  };
  // With a memory store and broker an ack is settled within the call, without a promise.
  const settle = (messageId: string, owner: string, registrationId: string): boolean | Promise<boolean> => {
    const removed = ackMessage(store, messageId);
    if (isPending(removed) || broker.publishSync === undefined) return settleLater(removed, messageId, owner, registrationId);
    if (removed) broker.publishSync(owner, { type: 'ack', messageId, registrationId });
    return removed;
  };
  const context: HubContext = {
    store,
    clock: runtime.clock,
    maxUnacked: options.maxUnackedPerDevice ?? 1000,
    sessions: new Set(),
    settle,
    onDelivered: (message) => options.onDelivered?.(message),
    onError: (error, setId) => options.onError?.(error, { setId }),
  };

  return {
    async open(setSecret, sink, afterSeq) {
      // Connecting is what keeps a set alive: this is the "seen" its reclamation counts from.
      if (!(await subscriptions.touch(setSecret))) throw new FosspushError('NOT_FOUND', 'no such subscription set');
      if (afterSeq !== undefined && (!Number.isSafeInteger(afterSeq) || afterSeq < 0)) {
        throw new FosspushError('INVALID_REQUEST', 'the resume cursor must be a non-negative integer', { details: { field: 'after' } });
      }
      const session = new HubSession(context, setSecret, sink, afterSeq ?? 0);
      session.touchedAt = runtime.clock.now();
      // Subscribe before the replay reads the store: a message enqueued in between is then
      // either in the replay or announced live, never in neither.
      session.stop = await broker.subscribe(setSecret, (event) => session.onEvent(event));
      context.sessions.add(session);
      void session.replay();
      return session;
    },
    get sessionCount() {
      return context.sessions.size;
    },
    async acknowledge(messageId) {
      const message = await store.getMessage(messageId);
      return message !== undefined && (await settle(messageId, message.owner, message.registrationId));
    },
    async touchConnected(intervalMs) {
      const now = runtime.clock.now();
      for (const session of context.sessions) {
        if (now - session.touchedAt < intervalMs) continue;
        session.touchedAt = now;
        await subscriptions.touch(session.setId);
      }
    },
    closeAll(reason) {
      for (const session of [...context.sessions]) session.shutdown(reason);
    },
  };
}
