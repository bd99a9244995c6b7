/**
 * @module @fosspush/daemon
 *
 * The fosspush device daemon as a library: one connection per push account for every app on
 * the machine, a SQLite store for registrations and messages, and the IPC socket apps talk to.
 * `fosspushd` (apps/daemon) is its command line; a platform team can embed `createDaemon` in
 * its own process instead.
 */
export { createDaemon, DAEMON_DEFAULTS, type Daemon, type DaemonOptions } from './daemon.js';
export type { Account, ChannelContext, ChannelFactory } from './account.js';
export { createChannelForAccount } from './channels.js';
export type { AccountConfig, DhtAccount, EmailAccount, PushServerAccount, TransportPreference, XmppAccount } from './accounts.js';
export { DAEMON_VERSION } from './version.js';
export { UNIFIEDPUSH_DEFAULTS, type UnifiedPushOptions } from './unifiedpush-distributor.js';
