/**
 * @module @fosspush/imap
 *
 * The email channel: IMAP IDLE receive and SMTP send per the Email-notify spec.
 */
export {};
