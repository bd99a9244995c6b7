import { isFosspushError } from '@fosspush/core';
import type { ConnectorCalls } from '@fosspush/dbus';
import type { DaemonContext } from './context.js';
import { markSeen } from './delivery.js';
import { createKeyedQueue } from './keyed-queue.js';
import { readFields } from './registration-record.js';
import type { UnifiedPushTokens } from './unifiedpush-tokens.js';

const PAGE = 100;

/**
 * Hands queued messages to UnifiedPush connectors. The store is the queue: a message stays
 * there until its connector has it (a v2 connector echoed its id; a v1 connector, which cannot
 * acknowledge, was running when it was sent), so a daemon restart or an app that is not
 * running loses nothing. Each registration is walked in order, one walk at a time; a walk stops
 * at the first message the app does not take and the registration waits for the next trigger
 * (the app appears on the bus, registers again, or the redelivery timer fires).
 */
export interface UnifiedPushDelivery {
  /** Delivers what is queued for this registration, now or right after the walk under way. */
  flush(registrationId: string): Promise<void>;
  /** Registrations whose app did not take everything last time. */
  readonly waiting: ReadonlySet<string>;
  /** Stops offering messages (the daemon is stopping and its store is about to close). */
  close(): void;
}

export function createUnifiedPushDelivery(context: DaemonContext, tokens: UnifiedPushTokens, connectors: ConnectorCalls): UnifiedPushDelivery {
  const serial = createKeyedQueue();
  const scheduled = new Set<string>();
  const waiting = new Set<string>();
  const { store, logger } = context;
  let closed = false;

  async function walk(registrationId: string): Promise<void> {
    const registration = await store.getRegistration(registrationId);
    if (!registration) return void waiting.delete(registrationId);
    const fields = readFields(registration);
    const known = await tokens.get(fields.instance);
    if (!known) return void waiting.delete(registrationId);
    const target = { service: known.service, version: known.version };
    let afterSeq = 0;
    for (;;) {
      const page = await store.listMessages({ registrationId, afterSeq, limit: PAGE });
      for (const message of page) {
        if (closed) return;
        let taken: boolean;
        try {
          taken = await connectors.message(target, fields.instance, message.payload, message.id);
        } catch (error) {
          if (!isFosspushError(error, 'INVALID_MESSAGE')) throw error;
          // A push without a body (or an oversized one) is nothing a connector may receive.
          logger.warn('unifiedpush_message_dropped', { service: known.service, messageId: message.id, bytes: message.payload.length });
          taken = true;
        }
        if (!taken) {
          waiting.add(registrationId);
          logger.debug('unifiedpush_delivery_deferred', { service: known.service, messageId: message.id });
          return;
        }
        // Remembered past the ack, so a late redelivery from the channel is recognised.
        await markSeen(context, registrationId, message.id, message.expiresAt);
        if (await store.ack(message.id)) context.queues.removed(registration.owner, 1);
        logger.debug('unifiedpush_delivered', { service: known.service, messageId: message.id });
      }
      const last = page.at(-1);
      if (!last || page.length < PAGE) break;
      afterSeq = last.seq;
    }
    waiting.delete(registrationId);
  }

  return {
    waiting,
    close() {
      closed = true;
    },
    flush(registrationId) {
      if (closed) return Promise.resolve();
      // One walk queued behind the running one is enough: it will see every message.
      if (scheduled.has(registrationId)) return Promise.resolve();
      scheduled.add(registrationId);
      return serial(registrationId, () => {
        scheduled.delete(registrationId);
        return walk(registrationId);
      }).catch((error: unknown) => {
        waiting.add(registrationId);
        logger.error('unifiedpush_delivery_failed', { registrationId, error });
      });
    },
  };
}
