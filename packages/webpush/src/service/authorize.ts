import { FosspushError, type Runtime, verifyVapid } from '@fosspush/core';
import { type HeaderBag, headerValue } from './headers.js';

/** What an RFC 8292 restricted subscription demands of every push to it. */
export interface PushRestriction {
  /** The key the subscriber gave at subscribe time (base64url, uncompressed P-256). */
  vapidPublicKey: string;
  /** The origin of the push resource (`https://push.example.net`): the token's `aud`. */
  audience: string;
}

/**
 * Checks a push to a restricted subscription: no usable VAPID token is 401 (UNAUTHENTICATED),
 * a token that fails (wrong key, bad signature, expired, other audience) is 403
 * (PERMISSION_DENIED), as RFC 8292 section 4.2 asks.
 *
 * @example
 * if (restriction) await authorizePush(req.headers, restriction);
 */
export async function authorizePush(headers: HeaderBag, restriction: PushRestriction, runtime: Partial<Runtime> = {}): Promise<void> {
  const header = headerValue(headers, 'authorization');
  if (header === undefined || header.trim() === '') {
    throw new FosspushError('UNAUTHENTICATED', 'this subscription is restricted (RFC 8292): send a VAPID Authorization header', {
      details: { field: 'Authorization' },
    });
  }
  await verifyVapid(header, { audience: restriction.audience, expectedPublicKey: restriction.vapidPublicKey, runtime });
}
