import { FosspushError, fromBase64Url } from '@fosspush/core';

const VAPID_KEY_TEXT = /^[A-Za-z0-9_-]{87}$/;

/** True for a VAPID public key (RFC 8292): 87 base64url characters holding an uncompressed P-256 point. */
export function isVapidPublicKey(value: string): boolean {
  if (!VAPID_KEY_TEXT.test(value)) return false;
  const point = fromBase64Url(value);
  return point.length === 65 && point[0] === 0x04;
}

/**
 * In GCM a sender id named the app server allowed to push; in fosspush an app server is known
 * by its VAPID key. So a VAPID public key given where GCM took a sender id (or an authorized
 * entity) restricts the registration to that key (RFC 8292): pushes signed by another key, or
 * by none, are refused, as GCM refused other senders with MismatchSenderId. A numeric sender
 * id restricts nothing: its token is a bearer capability. `explicitKey` (an option beside the
 * sender ids) wins, and may not contradict them. Returns the key to restrict to.
 */
export function senderRestriction(senderIds: readonly string[], explicitKey?: string): string | undefined {
  const keys = new Set(senderIds.filter(isVapidPublicKey));
  const conflict = () =>
    new FosspushError('INVALID_REQUEST', 'a registration restricted to a VAPID key (RFC 8292) names exactly one key and no other sender', {
      details: { field: 'senderIds' },
    });
  if (explicitKey !== undefined) {
    if ([...keys].some((key) => key !== explicitKey)) throw conflict();
    return explicitKey;
  }
  const [key] = keys;
  if (key === undefined) return undefined;
  if (keys.size > 1 || senderIds.some((id) => id !== key)) throw conflict();
  return key;
}
