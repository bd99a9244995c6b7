import { type ChannelMessageEvent, expiresAt, isFosspushError, PUSH_LIMITS } from '@fosspush/core';
import type { Account } from './account.js';
import { type DaemonContext, toIpcMessage } from './context.js';

/** How long a delivered message id is remembered at least, even when its TTL is shorter. */
const DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Records that a message reached the app's queue; false when it had already. */
export function markSeen(context: DaemonContext, registrationId: string, messageId: string, messageExpiresAt: number): Promise<boolean> {
  const until = Math.max(messageExpiresAt, context.runtime.clock.now() + DEDUPE_WINDOW_MS);
  return context.store.markSeen(`${registrationId}/${messageId}`, until);
}

/**
 * Takes a message from a channel: store it for the app, then ack the channel, so a crash at any
 * point loses nothing (the far side redelivers what was not acked) and a redelivery reaches the
 * app at most once more. The order matters: the message is enqueued (idempotent while queued)
 * before its id is marked seen, so there is no instant where it is marked but not stored; a
 * redelivery of a message the app already acked finds the mark and is taken out again.
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
  // nothing, and the stored message names its owner. A lookup cost a store round (a turn of the
  // event loop and a transaction) on every message's way to the app.
  const enqueued = await store.enqueue(registrationId, retained).catch((error: unknown) => {
    // Unregistered since the index was read: left unacked, as the channel has it.
    if (isFosspushError(error, 'NOT_FOUND')) return undefined;
    throw error;
  });
  if (!enqueued) return;
  const { message, created } = enqueued;
  const appId = message.owner;
  if (created) {
    if (await markSeen(context, registrationId, message.id, expiresAt(retained))) {
      await context.queues.added(appId);
      context.observers.notify(appId, 'message', { appId, message: toIpcMessage(message) });
      logger.debug('message_stored', { appId, registrationId, messageId: message.id, seq: message.seq });
    } else {
      await store.ack(message.id);
      logger.debug('duplicate_message_dropped', { appId, registrationId, messageId: message.id });
    }
  } else if (message.registrationId !== registrationId) {
    logger.warn('message_id_of_another_registration_dropped', { messageId: message.id, registrationId });
  }
  await account.channel.ack(event.registrationId, event.message.id);
}
