import { type ChannelMessageEvent, type EnqueueResult, expiresAt, isFosspushError, PUSH_LIMITS, type SeenMark } from '@fosspush/core';
import type { Account } from './account.js';
import { type DaemonContext, toIpcMessage } from './context.js';

/** How long a delivered message id is remembered at least, even when its TTL is shorter. */
const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The de-duplication mark of one message on one registration, kept at least a day. */
function seenMark(context: DaemonContext, registrationId: string, messageId: string, messageExpiresAt: number): SeenMark {
  return { key: `${registrationId}/${messageId}`, expiresAt: Math.max(messageExpiresAt, context.runtime.clock.now() + DEDUPE_WINDOW_MS) };
}

/** Records that a message reached the app's queue; false when it had already. */
export function markSeen(context: DaemonContext, registrationId: string, messageId: string, messageExpiresAt: number): Promise<boolean> {
  const mark = seenMark(context, registrationId, messageId, messageExpiresAt);
  return context.store.markSeen(mark.key, mark.expiresAt);
}

/**
 * Takes a message from a channel: store it for the app, tell the app, then ack the channel, so
 * a crash at any point loses nothing (the far side redelivers what was not acked) and a
 * redelivery reaches the app at most once more. Storing and marking the id seen are one store
 * call (`enqueueUnseen`, one transaction): never marked but not stored, which would drop the
 * redelivery, and a redelivery of a message the app already took changes nothing in its queue
 * (as a separate enqueue it would replace a newer message of its topic first). One call is also
 * one commit on the message's way to the app instead of two.
 */
export async function deliver(context: DaemonContext, account: Account, event: ChannelMessageEvent): Promise<void> {
  const { store, logger } = context;
  const accountId = account.config.id;
  const registrationId = context.index.get(accountId, event.registrationId);
  if (registrationId === undefined) {
    logger.warn('message_for_unknown_registration_dropped', { account: accountId, channelRegistrationId: event.registrationId, messageId: event.message.id });
    await account.channel.ack(event.registrationId, event.message.id);
    // Most likely unregistered while the channel was offline: tell the far side again.
    await account.channel.unsubscribe(event.registrationId).catch(() => {});
    return;
  }
  // The daemon is the device: once here, a message waits for its app at least this long.
  const ttlSeconds = Math.min(PUSH_LIMITS.maxTtlSeconds, Math.max(event.message.ttlSeconds, context.minRetentionSeconds));
  const retained = { ...event.message, ttlSeconds };
  // No lookup of the registration first: enqueue refuses (NOT_FOUND) one that is gone, changing
  // nothing, and the stored message names its owner.
  const mark = seenMark(context, registrationId, retained.id, expiresAt(retained));
  let enqueued: EnqueueResult | undefined;
  try {
    enqueued = await store.enqueueUnseen(registrationId, retained, mark);
  } catch (error) {
    // Unregistered since the index was read: left unacked, as the channel has it.
    if (isFosspushError(error, 'NOT_FOUND')) return;
    throw error;
  }
  if (enqueued === undefined) {
    logger.debug('duplicate_message_dropped', { registrationId, messageId: retained.id });
  } else if (enqueued.created) {
    const { message } = enqueued;
    const appId = message.owner;
    await context.queues.added(appId);
    context.observers.notify(appId, 'message', { appId, message: toIpcMessage(message) });
    logger.debug('message_stored', { appId, registrationId, messageId: message.id, seq: message.seq });
  } else if (enqueued.message.registrationId !== registrationId) {
    logger.warn('message_id_of_another_registration_dropped', { messageId: enqueued.message.id, registrationId });
  }
  await account.channel.ack(event.registrationId, event.message.id);
}
