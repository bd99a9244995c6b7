/**
 * @module @fosspush/imap
 *
 * The email channel (Email-notify spec, docs/email-notify-spec.md): push over the mailbox a
 * user already has. The device side holds one IMAP IDLE connection per account and hands every
 * verified notification on (`createImapChannel`); the app server side submits notification
 * mails over pooled SMTP (`createSmtpTransport`); `installSieveRule` files notifications out
 * of INBOX on the server, over ManageSieve, or says how to do it by hand.
 */
export { createImapChannel, type ImapChannel, isPermanentImapError } from './channel.js';
export type { ImapErrorContext } from './imap-errors.js';
export type { ServerFolders } from './session.js';
export { IMAP_CHANNEL_DEFAULTS, type ImapAccountOptions, type ImapChannelOptions, type InboxWatchMode } from './options.js';
export {
  createSmtpTransport,
  type OutgoingMail,
  SMTP_TRANSPORT_DEFAULTS,
  type SmtpSendResult,
  type SmtpTransport,
  type SmtpTransportOptions,
  toSmtpError,
} from './smtp-transport.js';
export { type InstallSieveRuleOptions, installSieveRule, type SieveSetupResult, sieveRule } from './sieve-setup.js';
export {
  type ManageSieveConnectOptions,
  ManageSieveClient,
  type SieveCapabilities,
  type SieveScriptInfo,
} from './managesieve/client.js';
