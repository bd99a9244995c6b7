/**
 * @module email-notify
 *
 * The Email-notify spec v1 (docs/email-notify-spec.md): push notifications as PGP/MIME mail
 * that carries an RFC 8291 Web Push message to a device's mailbox, signed by the app server's
 * pinned Autocrypt key, with protected headers so mail providers learn nothing about the app.
 */
export * from './build.js';
export * from './constants.js';
export { isNotificationEmail } from './envelope.js';
export * from './identity.js';
export { notificationSeenKey, parseNotificationEmail, type ReceivedNotification, type ReceiverContext } from './parse.js';
export * from './token-fields.js';
