import { toFosspushError } from '@fosspush/core';
import type { Recipient } from '../recipient.js';
import type { MembershipOutcome, TopicRegistry } from '../topics/registry.js';
import { type MessagingError, toMessagingError } from './errors.js';

/** firebase-admin's `FirebaseArrayIndexError`: `index` is the token's position in the call. */
export interface FirebaseArrayIndexError {
  index: number;
  error: MessagingError;
}

/** firebase-admin's `MessagingTopicManagementResponse`. */
export interface MessagingTopicManagementResponse {
  successCount: number;
  failureCount: number;
  errors: FirebaseArrayIndexError[];
}

function toTopicManagementResponse(outcomes: readonly MembershipOutcome[]): MessagingTopicManagementResponse {
  const errors: FirebaseArrayIndexError[] = [];
  outcomes.forEach((outcome, index) => {
    if (!outcome.ok) errors.push({ index, error: toMessagingError(outcome.error) });
  });
  return { successCount: outcomes.length - errors.length, failureCount: errors.length, errors };
}

/**
 * firebase-admin's `subscribeToTopic` / `unsubscribeFromTopic`: one token or an array, per
 * token errors with their index; a bad call (no tokens, more than 1000, a bad topic name)
 * rejects with `messaging/invalid-argument`.
 */
export async function manageTopic(
  change: TopicRegistry['subscribe'],
  tokens: Recipient | readonly Recipient[],
  topic: string,
): Promise<MessagingTopicManagementResponse> {
  try {
    return toTopicManagementResponse(await change(Array.isArray(tokens) ? tokens : [tokens as Recipient], topic));
  } catch (error) {
    throw toMessagingError(toFosspushError(error));
  }
}
