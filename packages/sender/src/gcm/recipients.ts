import { FosspushError, type PushSubscriptionJSON } from '@fosspush/core';
import type { Recipient } from '../recipient.js';

/**
 * node-gcm's topic forms: every token subscribed to the topic (in the sender's `topics` store),
 * or FCM's condition grammar. They answer GCM's topic response, `{ message_id }`.
 */
export type GcmTopicRecipient = { topic: string } | { condition: string } | { to: `/topics/${string}` };

/** node-gcm's recipient forms for tokens. */
export type GcmRecipient =
  | Recipient
  | readonly Recipient[]
  | { registrationTokens: readonly Recipient[] }
  | { registrationIds: readonly Recipient[] }
  | { to: Recipient };

function isSubscription(value: object): value is PushSubscriptionJSON {
  return 'endpoint' in value && 'keys' in value;
}

/** The tokens a node-gcm recipient names, in order. */
export function recipientList(recipient: GcmRecipient): readonly Recipient[] {
  let list: readonly Recipient[] | undefined;
  if (typeof recipient === 'string') list = [recipient];
  else if (Array.isArray(recipient)) list = recipient;
  else if (typeof recipient === 'object' && recipient !== null) {
    if (isSubscription(recipient)) list = [recipient];
    else if ('registrationTokens' in recipient) list = recipient.registrationTokens;
    else if ('registrationIds' in recipient) list = recipient.registrationIds;
    else if ('to' in recipient) list = [recipient.to];
    else if ('notificationKey' in recipient) {
      throw new FosspushError('INVALID_REQUEST', 'notification keys (device groups) are not supported: send to tokens or a topic', {
        details: { field: 'recipient' },
      });
    }
  }
  if (!Array.isArray(list)) {
    throw new FosspushError('INVALID_REQUEST', 'recipient must be a token, an array of tokens, or { registrationTokens }', {
      details: { field: 'recipient' },
    });
  }
  if (list.length === 0) throw new FosspushError('INVALID_REQUEST', 'no recipient tokens given', { details: { field: 'recipient' } });
  return list;
}
