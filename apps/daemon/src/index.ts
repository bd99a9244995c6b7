/**
 * @module fosspushd
 *
 * The fosspush device daemon: one connection per push account for every app on the machine,
 * a SQLite store for registrations and messages, and the IPC socket apps talk to.
 */
export { createDaemon, DAEMON_DEFAULTS, type Daemon, type DaemonOptions } from './daemon.js';
export type { Account, ChannelContext, ChannelFactory } from './account.js';
export { createChannelForAccount } from './channels.js';
export {
  type AccountConfig,
  type ConfigFlags,
  type DaemonConfig,
  type DaemonConfigFile,
  defaultDataDir,
  type EmailAccount,
  parseConfigFile,
  type PushServerAccount,
  resolveConfig,
  type TransportPreference,
} from './config.js';
export { DAEMON_VERSION } from './version.js';
