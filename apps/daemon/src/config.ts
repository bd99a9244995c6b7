import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FosspushError } from '@fosspush/core';
import { defaultSocketPath } from '@fosspush/ipc';
import { LOG_LEVELS, type LogLevel } from '@fosspush/core';
import type { AccountConfig, PushServerAccount, TransportPreference, UnifiedPushOptions, XmppAccount } from '@fosspush/daemon';

/** What `fosspushd` runs with, after the config file, flags and defaults are merged. */
export interface DaemonConfig {
  dataDir: string;
  socketPath: string;
  accounts: AccountConfig[];
  defaultAccount: string;
  logLevel: LogLevel;
  minRetentionSeconds?: number;
  maxQueuedPerApp?: number;
  /** The UnifiedPush D-Bus distributor; on by default when a session bus exists. */
  unifiedpush?: UnifiedPushConfig;
  /** Refuse new push-server registrations without a VAPID key (see DaemonOptions.requireVapid). */
  requireVapid?: boolean;
}

/** The config file's `unifiedpush` section (docs/unifiedpush.md). */
export type UnifiedPushConfig = Pick<UnifiedPushOptions, 'enabled' | 'name' | 'account' | 'requireVapid' | 'redeliveryIntervalMs'>;

/** The config file: every field optional, flags fill in or override. */
export type DaemonConfigFile = Partial<DaemonConfig>;

export interface ConfigFlags {
  config?: string;
  server?: string;
  transport?: string;
  data?: string;
  socket?: string;
  logLevel?: string;
  requireVapid?: boolean;
}

/** Every setting a config file may hold; docs/daemon.md describes each. */
export const CONFIG_FILE_FIELDS = [
  'dataDir',
  'socketPath',
  'accounts',
  'defaultAccount',
  'logLevel',
  'minRetentionSeconds',
  'maxQueuedPerApp',
  'requireVapid',
  'unifiedpush',
  '$schema',
];

const ACCOUNT_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The account the `--server` flag creates. */
export const FLAG_ACCOUNT_ID = 'default';

function bad(message: string, field: string): FosspushError {
  return new FosspushError('INVALID_REQUEST', message, { details: { field } });
}

export function defaultDataDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return join(env['XDG_DATA_HOME'] || join(homedir(), '.local', 'share'), 'fosspush');
}

function expandPath(path: string, base: string): string {
  const home = path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;
  return isAbsolute(home) ? home : resolve(base, home);
}

function checkUrl(value: unknown, field: string): string {
  if (typeof value !== 'string') throw bad(`${field} must be a URL string`, field);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad(`${field} is not a URL: ${value}`, field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`${field} must be an http: or https: URL`, field);
  return value.replace(/\/+$/, '');
}

function checkTransport(value: unknown, field: string): TransportPreference {
  if (value === undefined) return 'auto';
  if (value !== 'auto' && value !== 'websocket' && value !== 'sse') throw bad(`${field} must be auto, websocket or sse`, field);
  return value;
}

function checkXmppAccount(account: Record<string, unknown>, id: string, field: string): XmppAccount {
  const { jid, password, passwordFile, host, port, directTls, caFile, componentJid, allowPlaintext } = account;
  if (typeof jid !== 'string' || !/^[^@/\s]+@[^@/\s]+$/.test(jid)) throw bad(`${field}.jid must be a bare JID (user@domain)`, `${field}.jid`);
  if ((password === undefined) === (passwordFile === undefined)) throw bad(`${field} needs password or passwordFile (one of them)`, `${field}.password`);
  const xmpp: XmppAccount = { id, type: 'xmpp', jid };
  if (password !== undefined) {
    if (typeof password !== 'string') throw bad(`${field}.password must be a string`, `${field}.password`);
    xmpp.password = password;
  }
  if (passwordFile !== undefined) {
    if (typeof passwordFile !== 'string') throw bad(`${field}.passwordFile must be a path`, `${field}.passwordFile`);
    xmpp.passwordFile = passwordFile;
  }
  if (host !== undefined) {
    if (typeof host !== 'string' || host === '') throw bad(`${field}.host must be a host name`, `${field}.host`);
    xmpp.host = host;
  }
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw bad(`${field}.port must be a port number`, `${field}.port`);
    xmpp.port = port;
  }
  if (directTls !== undefined) {
    if (typeof directTls !== 'boolean') throw bad(`${field}.directTls must be true or false`, `${field}.directTls`);
    xmpp.directTls = directTls;
  }
  if (caFile !== undefined) {
    if (typeof caFile !== 'string' || caFile === '') throw bad(`${field}.caFile must be a path`, `${field}.caFile`);
    xmpp.caFile = caFile;
  }
  if (componentJid !== undefined) {
    if (typeof componentJid !== 'string' || componentJid === '') throw bad(`${field}.componentJid must be a JID`, `${field}.componentJid`);
    xmpp.componentJid = componentJid;
  }
  if (allowPlaintext !== undefined) {
    if (typeof allowPlaintext !== 'boolean') throw bad(`${field}.allowPlaintext must be true or false`, `${field}.allowPlaintext`);
    xmpp.allowPlaintext = allowPlaintext;
  }
  return xmpp;
}

function checkAccount(value: unknown, index: number): AccountConfig {
  const field = `accounts[${index}]`;
  if (typeof value !== 'object' || value === null) throw bad(`${field} must be an object`, field);
  const account = value as Record<string, unknown>;
  const id = account['id'];
  if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) throw bad(`${field}.id must be 1 to 64 characters from A-Z a-z 0-9 . _ -`, `${field}.id`);
  if (account['type'] === 'push-server') {
    return { id, type: 'push-server', url: checkUrl(account['url'], `${field}.url`), transport: checkTransport(account['transport'], `${field}.transport`) };
  }
  if (account['type'] === 'email') {
    const options = account['options'];
    if (typeof options !== 'object' || options === null) throw bad(`${field}.options must be an object`, `${field}.options`);
    return { id, type: 'email', options: options as Record<string, unknown> };
  }
  if (account['type'] === 'dht') {
    const proxies = account['proxies'];
    if (!Array.isArray(proxies) || proxies.length === 0) throw bad(`${field}.proxies must be a non-empty array of dhtproxy URLs`, `${field}.proxies`);
    return { id, type: 'dht', proxies: proxies.map((proxy, at) => checkUrl(proxy, `${field}.proxies[${at}]`)) };
  }
  if (account['type'] === 'xmpp') return checkXmppAccount(account, id, field);
  throw bad(`${field}.type must be "push-server", "email", "dht" or "xmpp"`, `${field}.type`);
}

function checkPositiveInteger(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw bad(`${field} must be a non-negative integer`, field);
  return value;
}

/** Parses a config file's text; relative paths in it are relative to the file. */
export function parseConfigFile(text: string, path: string): DaemonConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new FosspushError('INVALID_REQUEST', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`${path} must hold a JSON object`, 'config');
  const file = raw as Record<string, unknown>;
  const base = dirname(path);
  const config: DaemonConfigFile = {};
  for (const key of Object.keys(file)) {
    if (!CONFIG_FILE_FIELDS.includes(key)) {
      throw bad(`${path}: unknown setting ${JSON.stringify(key)}`, key);
    }
  }
  if (file['dataDir'] !== undefined) config.dataDir = expandPath(String(file['dataDir']), base);
  if (file['socketPath'] !== undefined) config.socketPath = expandPath(String(file['socketPath']), base);
  if (file['accounts'] !== undefined) {
    if (!Array.isArray(file['accounts'])) throw bad('accounts must be an array', 'accounts');
    // Password and CA files are named relative to the config file, like every other path in it.
    config.accounts = file['accounts'].map(checkAccount).map((account) => {
      if (account.type !== 'xmpp') return account;
      const { passwordFile, caFile } = account;
      return {
        ...account,
        ...(passwordFile === undefined ? {} : { passwordFile: expandPath(passwordFile, base) }),
        ...(caFile === undefined ? {} : { caFile: expandPath(caFile, base) }),
      };
    });
  }
  if (file['defaultAccount'] !== undefined) config.defaultAccount = String(file['defaultAccount']);
  if (file['logLevel'] !== undefined) config.logLevel = checkLogLevel(file['logLevel']);
  const retention = checkPositiveInteger(file['minRetentionSeconds'], 'minRetentionSeconds');
  if (retention !== undefined) config.minRetentionSeconds = retention;
  const maxQueued = checkPositiveInteger(file['maxQueuedPerApp'], 'maxQueuedPerApp');
  if (maxQueued !== undefined) config.maxQueuedPerApp = maxQueued;
  if (file['requireVapid'] !== undefined) {
    if (typeof file['requireVapid'] !== 'boolean') throw bad('requireVapid must be true or false', 'requireVapid');
    config.requireVapid = file['requireVapid'];
  }
  if (file['unifiedpush'] !== undefined) config.unifiedpush = checkUnifiedPush(file['unifiedpush']);
  return config;
}

const DISTRIBUTOR_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;

function checkUnifiedPush(value: unknown): UnifiedPushConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('unifiedpush must be an object', 'unifiedpush');
  const section = value as Record<string, unknown>;
  const config: UnifiedPushConfig = {};
  for (const key of Object.keys(section)) {
    if (!['enabled', 'name', 'account', 'requireVapid', 'redeliveryIntervalMs'].includes(key)) throw bad(`unifiedpush: unknown setting ${JSON.stringify(key)}`, `unifiedpush.${key}`);
  }
  const { enabled, name, account, requireVapid } = section;
  if (enabled !== undefined) {
    if (enabled !== true && enabled !== false && enabled !== 'auto') throw bad('unifiedpush.enabled must be true, false or "auto"', 'unifiedpush.enabled');
    config.enabled = enabled;
  }
  if (name !== undefined) {
    if (typeof name !== 'string' || !DISTRIBUTOR_NAME.test(name)) throw bad('unifiedpush.name must be one D-Bus name element (letters, digits, _ and -)', 'unifiedpush.name');
    config.name = name;
  }
  if (account !== undefined) {
    if (typeof account !== 'string' || !ACCOUNT_ID.test(account)) throw bad('unifiedpush.account must be an account id', 'unifiedpush.account');
    config.account = account;
  }
  if (requireVapid !== undefined) {
    if (typeof requireVapid !== 'boolean') throw bad('unifiedpush.requireVapid must be true or false', 'unifiedpush.requireVapid');
    config.requireVapid = requireVapid;
  }
  const interval = checkPositiveInteger(section['redeliveryIntervalMs'], 'unifiedpush.redeliveryIntervalMs');
  if (interval !== undefined) config.redeliveryIntervalMs = Math.max(interval, 1000);
  return config;
}

function checkLogLevel(value: unknown): LogLevel {
  if (!LOG_LEVELS.includes(value as LogLevel)) throw bad(`logLevel must be one of ${LOG_LEVELS.join(', ')}`, 'logLevel');
  return value as LogLevel;
}

/** Flags win over the file, the file over defaults. At least one account must result. */
export function resolveConfig(file: DaemonConfigFile, flags: ConfigFlags, env: Readonly<Record<string, string | undefined>> = process.env): DaemonConfig {
  const accounts = [...(file.accounts ?? [])];
  if (flags.server !== undefined) {
    const account: PushServerAccount = {
      id: FLAG_ACCOUNT_ID,
      type: 'push-server',
      url: checkUrl(flags.server, 'server'),
      transport: checkTransport(flags.transport, 'transport'),
    };
    const existing = accounts.findIndex((a) => a.id === FLAG_ACCOUNT_ID);
    if (existing >= 0) accounts[existing] = account;
    else accounts.unshift(account);
  }
  if (accounts.length === 0) {
    throw bad('no account configured: pass --server URL, or --config FILE with an "accounts" list', 'accounts');
  }
  const ids = new Set<string>();
  for (const account of accounts) {
    if (ids.has(account.id)) throw bad(`account id ${account.id} is used twice`, 'accounts');
    ids.add(account.id);
  }
  const defaultAccount = flags.server !== undefined ? FLAG_ACCOUNT_ID : (file.defaultAccount ?? (accounts[0] as AccountConfig).id);
  if (!ids.has(defaultAccount)) throw bad(`defaultAccount ${defaultAccount} is not among the accounts`, 'defaultAccount');
  const cwd = process.cwd();
  const config: DaemonConfig = {
    dataDir: flags.data !== undefined ? expandPath(flags.data, cwd) : (file.dataDir ?? defaultDataDir(env)),
    socketPath: flags.socket !== undefined ? expandPath(flags.socket, cwd) : (file.socketPath ?? defaultSocketPath({ env })),
    accounts,
    defaultAccount,
    logLevel: flags.logLevel !== undefined ? checkLogLevel(flags.logLevel) : (file.logLevel ?? 'info'),
  };
  if (file.minRetentionSeconds !== undefined) config.minRetentionSeconds = file.minRetentionSeconds;
  if (file.maxQueuedPerApp !== undefined) config.maxQueuedPerApp = file.maxQueuedPerApp;
  if (file.unifiedpush !== undefined) {
    const account = file.unifiedpush.account;
    if (account !== undefined && !ids.has(account)) throw bad(`unifiedpush.account ${account} is not among the accounts`, 'unifiedpush.account');
    config.unifiedpush = file.unifiedpush;
  }
  const requireVapid = flags.requireVapid ?? file.requireVapid;
  if (requireVapid !== undefined) config.requireVapid = requireVapid;
  return config;
}
