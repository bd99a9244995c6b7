import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FosspushError, LOG_LEVELS, type LogLevel, parseWithSchema, record, type SchemaRefusal } from '@fosspush/core';
import type { AccountConfig, PushServerAccount, UnifiedPushOptions } from '@fosspush/daemon';
import { defaultSocketPath } from '@fosspush/ipc';
import * as v from 'valibot';

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

/*
 * The config file as schemas (docs/daemon.md describes each setting). A refusal is an
 * INVALID_REQUEST naming the setting by its path, `accounts[0].id must be ...`.
 */
const refusal = (root: string): SchemaRefusal => ({ code: 'INVALID_REQUEST', field: 'path', root });
const UNKNOWN_SETTING = 'is not a known setting';

const flag = v.boolean('must be true or false');
const nonNegative = v.pipe(v.number('must be a non-negative integer'), v.safeInteger('must be a non-negative integer'), v.minValue(0, 'must be a non-negative integer'));
const path = v.string('must be a path');
const ACCOUNT_ID_RULE = 'must be 1 to 64 characters from A-Z a-z 0-9 . _ -';
const accountId = v.pipe(v.string(ACCOUNT_ID_RULE), v.regex(/^[A-Za-z0-9._-]{1,64}$/, ACCOUNT_ID_RULE));

const isUrl = (value: string) => URL.canParse(value);
/** An http: or https: URL, without trailing slashes. */
const httpUrl = v.pipe(
  v.string('must be a URL string'),
  v.check(isUrl, (issue) => `is not a URL: ${String(issue.input)}`),
  v.check((value) => /^https?:$/.test(new URL(value).protocol), 'must be an http: or https: URL'),
  v.transform((value) => value.replace(/\/+$/, '')),
);
const transport = v.optional(v.picklist(['auto', 'websocket', 'sse'], 'must be auto, websocket or sse'), 'auto');
const logLevel = v.picklist(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`);
const nonEmpty = (message: string) => v.pipe(v.string(message), v.minLength(1, message));

/**
 * One kind of account. valibot reports a missing member on its object, not on the member, so
 * the object answers with the member's own message: `accounts[0].url must be a URL string`.
 */
function accountOf<const E extends v.ObjectEntries>(entries: E) {
  return v.object(entries, (issue) => {
    const key = issue.path?.[0]?.key;
    const member = typeof key === 'string' ? (entries[key] as { message?: unknown } | undefined) : undefined;
    return typeof member?.message === 'string' ? member.message : 'must be an object';
  });
}

const account = v.variant(
  'type',
  [
    accountOf({ id: accountId, type: v.literal('push-server'), url: httpUrl, transport }),
    accountOf(
      { id: accountId, type: v.literal('email'), options: v.custom<Record<string, unknown>>((value) => typeof value === 'object' && value !== null, 'must be an object') }
    ),
    accountOf(
      {
        id: accountId,
        type: v.literal('dht'),
        proxies: v.pipe(v.array(httpUrl, 'must be a non-empty array of dhtproxy URLs'), v.minLength(1, 'must be a non-empty array of dhtproxy URLs')),
      }
    ),
    v.pipe(
      accountOf(
        {
          id: accountId,
          type: v.literal('xmpp'),
          jid: v.pipe(v.string('must be a bare JID (user@domain)'), v.regex(/^[^@/\s]+@[^@/\s]+$/, 'must be a bare JID (user@domain)')),
          password: v.optional(v.string('must be a string')),
          passwordFile: v.optional(path),
          host: v.optional(nonEmpty('must be a host name')),
          port: v.optional(v.pipe(v.number('must be a port number'), v.integer('must be a port number'), v.minValue(1, 'must be a port number'), v.maxValue(65535, 'must be a port number'))),
          directTls: v.optional(flag),
          caFile: v.optional(nonEmpty('must be a path')),
          componentJid: v.optional(nonEmpty('must be a JID')),
          allowPlaintext: v.optional(flag),
        }
      ),
      v.forward(
        v.check((xmpp) => (xmpp.password === undefined) !== (xmpp.passwordFile === undefined), 'must be given, or else passwordFile (one of them)'),
        ['password'],
      ),
    ),
  ],
  (issue) => (issue.path === undefined ? 'must be an object' : 'must be "push-server", "email", "dht" or "xmpp"'),
) satisfies v.GenericSchema<unknown, AccountConfig>;

const DISTRIBUTOR_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
const DISTRIBUTOR_NAME_RULE = 'must be one D-Bus name element (letters, digits, _ and -)';

/** The config file's `unifiedpush` section (docs/unifiedpush.md). */
const unifiedpush = record(
  {
    enabled: v.optional(v.union([v.boolean(), v.literal('auto')], 'must be true, false or "auto"')),
    name: v.optional(v.pipe(v.string(DISTRIBUTOR_NAME_RULE), v.regex(DISTRIBUTOR_NAME, DISTRIBUTOR_NAME_RULE))),
    account: v.optional(v.pipe(v.string('must be an account id'), v.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be an account id'))),
    requireVapid: v.optional(flag),
    redeliveryIntervalMs: v.optional(v.pipe(nonNegative, v.transform((ms) => Math.max(ms, 1000)))),
  },
  'must be an object',
  UNKNOWN_SETTING,
) satisfies v.GenericSchema<unknown, UnifiedPushConfig>;

const configFile = record(
  {
    dataDir: v.optional(path),
    socketPath: v.optional(path),
    accounts: v.optional(v.array(account, 'must be an array')),
    defaultAccount: v.optional(accountId),
    logLevel: v.optional(logLevel),
    minRetentionSeconds: v.optional(nonNegative),
    maxQueuedPerApp: v.optional(nonNegative),
    requireVapid: v.optional(flag),
    unifiedpush: v.optional(unifiedpush),
    /** Ignored, for editors. */
    $schema: v.optional(v.unknown()),
  },
  'must hold a JSON object',
  UNKNOWN_SETTING,
);

/** Parses a config file's text; relative paths in it are relative to the file. */
export function parseConfigFile(text: string, path: string): DaemonConfigFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new FosspushError('INVALID_REQUEST', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const { $schema: _editorsOnly, ...file } = parseWithSchema(configFile, raw, refusal(path));
  const base = dirname(path);
  const config: DaemonConfigFile = { ...file };
  if (file.dataDir !== undefined) config.dataDir = expandPath(file.dataDir, base);
  if (file.socketPath !== undefined) config.socketPath = expandPath(file.socketPath, base);
  // Password and CA files are named relative to the config file, like every other path in it.
  if (file.accounts !== undefined) {
    config.accounts = file.accounts.map((account) => {
      if (account.type !== 'xmpp') return account;
      const { passwordFile, caFile } = account;
      return {
        ...account,
        ...(passwordFile === undefined ? {} : { passwordFile: expandPath(passwordFile, base) }),
        ...(caFile === undefined ? {} : { caFile: expandPath(caFile, base) }),
      };
    });
  }
  return config;
}

/** Flags win over the file, the file over defaults. At least one account must result. */
export function resolveConfig(file: DaemonConfigFile, flags: ConfigFlags, env: Readonly<Record<string, string | undefined>> = process.env): DaemonConfig {
  const accounts = [...(file.accounts ?? [])];
  if (flags.server !== undefined) {
    const account: PushServerAccount = {
      id: FLAG_ACCOUNT_ID,
      type: 'push-server',
      url: parseWithSchema(httpUrl, flags.server, refusal('server')),
      transport: parseWithSchema(transport, flags.transport, refusal('transport')),
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
    logLevel: flags.logLevel !== undefined ? parseWithSchema(logLevel, flags.logLevel, refusal('logLevel')) : (file.logLevel ?? 'info'),
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
