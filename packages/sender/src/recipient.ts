import { decodeToken, FosspushError, fromPushSubscription, type PushSubscriptionJSON, type PushToken } from '@fosspush/core';

/**
 * What a caller may address: a fosspush token (`fp1.…`), or a W3C PushSubscription, as an
 * object or as its JSON text, for any RFC 8030 service (browsers, UnifiedPush distributors).
 */
export type Recipient = string | PushSubscriptionJSON;

/** Parses one recipient; a bad one is INVALID_TOKEN (GCM's InvalidRegistration). */
export function resolveRecipient(recipient: Recipient): PushToken {
  if (typeof recipient === 'object' && recipient !== null) return fromPushSubscription(recipient);
  if (typeof recipient !== 'string') {
    throw new FosspushError('INVALID_TOKEN', 'a recipient must be a token string or a PushSubscription');
  }
  if (recipient.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(recipient);
    } catch (cause) {
      throw new FosspushError('INVALID_TOKEN', 'recipient looks like JSON but does not parse', { cause });
    }
    return fromPushSubscription(parsed as PushSubscriptionJSON);
  }
  return decodeToken(recipient);
}
