import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EMAIL_NOTIFY_MARKER_HEADER } from '@fosspush/core';
import { repoRoot } from './process.js';

const run = promisify(execFile);
const SCRIPT = join(repoRoot, 'scripts', 'mail-rig.sh');

export interface MailRigUser {
  /** The IMAP/SMTP login. */
  readonly name: string;
  readonly password: string;
  readonly address: string;
  /** Whether the server-side Sieve rule files this user's notifications out of INBOX. */
  readonly sieve: boolean;
}

/** The IMAP servers a rig can run: Dovecot 2.3, or Cyrus IMAP 3.6 (traditional `INBOX.` namespace, no NOTIFY). */
export type MailRigServer = 'dovecot' | 'cyrus';

/** Every server the rig runs, in the order test suites are parametrised over them. */
export const MAIL_RIG_SERVERS: readonly MailRigServer[] = ['dovecot', 'cyrus'];

/** Everything a test needs to reach a running rig; plain data, so vitest can `provide` it to workers. */
export interface MailRigInfo {
  readonly server: MailRigServer;
  readonly dir: string;
  readonly host: '127.0.0.1';
  readonly domain: string;
  readonly markerHeader: string;
  /** The folder the Sieve rule files notifications into, as the channel is configured with it. */
  readonly folder: string;
  /** The same folder as the server names it (`INBOX.Fosspush` on Cyrus), which the Sieve rule uses. */
  readonly folderPath: string;
  readonly ports: { readonly imap: number; readonly smtp: number; readonly lmtp: number; readonly sieve: number };
  readonly users: Readonly<Record<string, MailRigUser>>;
}

export interface MailRigControl {
  readonly info: MailRigInfo;
  /** Expunges every message in every folder of a user. */
  clear(user: string): Promise<void>;
  /** Adds a user to the running rig (a test of its own, with a clean mailbox). */
  addUser(name: string, options?: { password?: string; sieve?: boolean }): Promise<MailRigUser>;
  /** Stops the IMAP server alone (IMAP, LMTP, ManageSieve, every session), as an outage; Postfix queues mail meanwhile. */
  stopImap(): Promise<void>;
  startImap(): Promise<void>;
}

export interface MailRig extends MailRigControl, MailRigInfo {
  /** Stops both servers by PID and removes the scratch folder. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export interface StartMailRigOptions {
  /** @default 'dovecot' */
  server?: MailRigServer;
  /** A name, or a name with its password and whether it gets the Sieve rule. */
  users: ReadonlyArray<string | { name: string; password?: string; sieve?: boolean }>;
  /** @default a fresh folder under the system temp dir, removed on stop */
  dir?: string;
  /** @default 'example.test' */
  domain?: string;
  /** @default 'Fosspush' */
  folder?: string;
  /** Dovecot's `imap_idle_notify_interval` ("* OK Still here" in IDLE), shortened to compress time. @default 120 */
  idleNotifyIntervalSeconds?: number;
}

async function script(dir: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await run('bash', [...(process.env['RIG_TRACE'] ? ['-x'] : []), SCRIPT, ...args], { env: { ...process.env, RIG: dir, ...env }, timeout: 60_000 });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`scripts/mail-rig.sh ${args.join(' ')} failed (root, and 'scripts/mail-rig.sh install' first?):\n${stderr ?? String(error)}`, {
      cause: error,
    });
  }
}

function readEnv(dir: string): Record<string, string> {
  const entries = readFileSync(join(dir, 'rig.env'), 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)] as const);
  return Object.fromEntries(entries);
}

const port = (env: Record<string, string>, key: string) => {
  const value = Number(env[key]);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`rig.env has no ${key}`);
  return value;
};

/** Test helpers for a rig that runs (in this process or, through `info`, in another). */
export function mailRigControl(info: MailRigInfo): MailRigControl {
  const users = { ...info.users };
  const control: MailRigControl = {
    get info() {
      return { ...info, users: { ...users } };
    },
    async clear(user) {
      await script(info.dir, ['clear', user]);
    },
    async addUser(name, options = {}) {
      const user = { name, password: options.password ?? `${name}-password`, address: `${name}@${info.domain}`, sieve: options.sieve ?? true };
      await script(info.dir, ['add-user', ...(user.sieve ? [] : ['--no-sieve']), `${name}:${user.password}`]);
      users[name] = user;
      return user;
    },
    async stopImap() {
      await script(info.dir, ['imap-stop']);
    },
    async startImap() {
      await script(info.dir, ['imap-start']);
    },
  };
  return control;
}

/**
 * Starts a real mail system on loopback through `scripts/mail-rig.sh`: an IMAP server (Dovecot, or
 * Cyrus with `server: 'cyrus'`) with LMTP, Sieve with the Email-notify filing rule and
 * ManageSieve, and Postfix (SMTP) delivering to it over LMTP, on free ports, with the given
 * users. Needs root and the Debian packages (`mail-rig.sh install`).
 *
 * @example
 * await using rig = await startMailRig({ users: ['alice', { name: 'bob', sieve: false }] });
 * const imap = new ImapFlow({ host: rig.host, port: rig.ports.imap, secure: false, auth: { user: 'alice', pass: rig.users.alice.password } });
 */
export async function startMailRig(options: StartMailRigOptions): Promise<MailRig> {
  const server = options.server ?? 'dovecot';
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `fosspush-mail-${server}-`));
  const domain = options.domain ?? 'example.test';
  const folder = options.folder ?? 'Fosspush';
  const users: Record<string, MailRigUser> = {};
  const args: string[] = [];
  for (const entry of options.users) {
    const spec = typeof entry === 'string' ? { name: entry } : entry;
    const user = { name: spec.name, password: spec.password ?? `${spec.name}-password`, address: `${spec.name}@${domain}`, sieve: spec.sieve ?? true };
    users[user.name] = user;
    if (!user.sieve) args.push('--no-sieve', user.name);
  }
  for (const user of Object.values(users)) args.push(`${user.name}:${user.password}`);
  try {
    await script(dir, ['start', ...args], {
      IMAP_SERVER: server,
      MAIL_DOMAIN: domain,
      MARKER_HEADER: EMAIL_NOTIFY_MARKER_HEADER,
      NOTIFY_FOLDER: folder,
      IDLE_NOTIFY_INTERVAL: `${options.idleNotifyIntervalSeconds ?? 120} secs`,
    });
  } catch (error) {
    await script(dir, ['stop']).catch(() => undefined);
    if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const env = readEnv(dir);
  const info: MailRigInfo = {
    server,
    dir,
    host: '127.0.0.1',
    domain,
    markerHeader: EMAIL_NOTIFY_MARKER_HEADER,
    folder,
    folderPath: env['NOTIFY_FOLDER_PATH'] ?? folder,
    ports: { imap: port(env, 'IMAP_PORT'), smtp: port(env, 'SMTP_PORT'), lmtp: port(env, 'LMTP_PORT'), sieve: port(env, 'SIEVE_PORT') },
    users,
  };
  const control = mailRigControl(info);
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await script(dir, ['stop']);
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    })());
  return {
    ...info,
    get info() {
      return control.info;
    },
    get users() {
      return control.info.users;
    },
    clear: control.clear,
    addUser: control.addUser,
    stopImap: control.stopImap,
    startImap: control.startImap,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
