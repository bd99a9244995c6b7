/**
 * @module fosspushd
 *
 * The `fosspushd` command: config file and flag parsing around `createDaemon` from
 * `@fosspush/daemon`.
 */
export {
  type ConfigFlags,
  type DaemonConfig,
  type DaemonConfigFile,
  defaultDataDir,
  parseConfigFile,
  resolveConfig,
} from './config.js';
