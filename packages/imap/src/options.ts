import { type ChannelOptions, RECONNECT_DEFAULTS, type ReconnectOptions } from '@fosspush/core';
import type { ImapFlowOptions } from 'imapflow';

/** Where the mailbox is and how to log in: the fields of imapflow's options the channel needs. */
export interface ImapAccountOptions {
  host: string;
  /** @default 993 with `secure`, else 143 */
  port?: number;
  /**
   * Implicit TLS. Without it imapflow still upgrades with STARTTLS when the server offers it.
   * @default true
   */
  secure?: boolean;
  /** `pass` for LOGIN/AUTHENTICATE PLAIN, or `accessToken` for XOAUTH2/OAUTHBEARER. */
  auth: ImapFlowOptions['auth'] & { user: string };
  /** node:tls options, e.g. a private CA. */
  tls?: ImapFlowOptions['tls'];
}

/** How arrivals in INBOX (notifications when the server has no Sieve rule) are noticed. */
export type InboxWatchMode = 'auto' | 'notify' | 'connection';

/**
 * Options of `createImapChannel`.
 *
 * A mailbox path is a string or its segments (`['Fosspush', 'Quarantine']`), which are joined
 * with the server's hierarchy delimiter and prefixed with its personal namespace.
 */
export interface ImapChannelOptions extends ChannelOptions {
  /** The account's address: the `mailto:` endpoint of every token. @default `imap.auth.user` when it is an address */
  address?: string;
  imap: ImapAccountOptions;
  /**
   * The folder notifications are filed into: by the Sieve rule, or by the channel itself when
   * they arrive in INBOX. Must match the rule's `fileinto`.
   * @default 'Fosspush'
   */
  folder?: string | readonly string[];
  /**
   * Where rejected notifications (forged, unsigned, expired, replayed, malformed) go, so the
   * user can look at them; they are deleted after `quarantineRetentionMs`.
   * @default ['Fosspush', 'Quarantine']
   */
  quarantineFolder?: string | readonly string[];
  /**
   * Whether notifications may arrive in INBOX (no Sieve rule), so the channel watches it and
   * moves them out at once. Set it to false once the rule is installed to save the work.
   * @default true
   */
  watchInbox?: boolean;
  /**
   * How INBOX arrivals are noticed while the connection IDLEs on `folder`: `notify` uses IMAP
   * NOTIFY (RFC 5465) on the same connection, `connection` a second connection that IDLEs on
   * INBOX, `auto` NOTIFY where the server advertises it and a second connection elsewhere.
   * @default 'auto'
   */
  inboxWatch?: InboxWatchMode;
  /**
   * IDLE is ended and started again after this long: RFC 9051 lets servers drop a client that
   * has been silent for 30 minutes, IDLE included.
   * @default 1_200_000 (20 minutes)
   */
  idleRestartMs?: number;
  /**
   * After this long with nothing received from the server, a NOOP checks that the connection
   * still carries anything (a half-dead socket otherwise looks like a quiet IDLE forever).
   * @default 240_000 (4 minutes)
   */
  watchdogIntervalMs?: number;
  /** How long that NOOP (and any single IMAP command) may take before the connection counts as dead. @default 30_000 */
  commandTimeoutMs?: number;
  /**
   * A message handed on but not acked for this long is handed on again: the host lost it
   * (the daemon acks only after storing).
   * @default 300_000 (5 minutes)
   */
  ackTimeoutMs?: number;
  /**
   * How long a compact notification for a registration with no pinned sender key waits for
   * its hello (mail systems deliver out of order) before it is rejected as UNKNOWN_SENDER.
   * @default 600_000 (10 minutes)
   */
  unknownSenderGraceMs?: number;
  /** @default 1_209_600_000 (14 days) */
  quarantineRetentionMs?: number;
  /** Notifications fetched per FETCH command when draining the folder. @default 100 */
  fetchBatchSize?: number;
  /** @default RECONNECT_DEFAULTS */
  reconnect?: Partial<ReconnectOptions>;
  /**
   * Escape hatch: further imapflow options (a logger, a proxy...). The channel's own settings
   * (IDLE control, timeouts) win where they overlap.
   */
  clientOptions?: Partial<ImapFlowOptions>;
}

export const IMAP_CHANNEL_DEFAULTS = {
  folder: 'Fosspush',
  quarantineFolder: ['Fosspush', 'Quarantine'],
  watchInbox: true,
  inboxWatch: 'auto',
  idleRestartMs: 20 * 60_000,
  watchdogIntervalMs: 4 * 60_000,
  commandTimeoutMs: 30_000,
  ackTimeoutMs: 5 * 60_000,
  unknownSenderGraceMs: 10 * 60_000,
  quarantineRetentionMs: 14 * 24 * 3_600_000,
  fetchBatchSize: 100,
  reconnect: RECONNECT_DEFAULTS,
} satisfies Partial<ImapChannelOptions>;
