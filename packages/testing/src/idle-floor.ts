import { ImapFlow } from 'imapflow';
import type { MailRigInfo } from './mail-rig.js';

/**
 * The raw floor of the email benchmarks: a bare imapflow client that IDLEs on a folder
 * (read-only) and only notes when the server reports EXISTS. Nothing can hear of a new mail
 * sooner over IMAP IDLE. `at` is `process.hrtime` in milliseconds: the monotonic clock every
 * process on the machine shares, so it compares with times taken in a daemon process.
 */
export async function startIdleFloor(info: MailRigInfo, user: string, path: string) {
  const login = info.users[user];
  if (login === undefined) throw new Error(`no rig user ${user}`);
  const client = new ImapFlow({ host: info.host, port: info.ports.imap, secure: false, auth: { user: login.name, pass: login.password }, logger: false, disableAutoIdle: true });
  client.on('error', () => undefined);
  await client.connect();
  // Servers without RFC 5530 codes (Cyrus) refuse an existing folder with a plain NO: it exists.
  if (path !== 'INBOX') await client.mailboxCreate(path).catch(() => undefined);
  await client.mailboxOpen(path, { readOnly: true });
  /** When each announcement came, and how many new messages it announced in all so far. */
  const arrivals: Array<{ at: number; total: number }> = [];
  let total = 0;
  client.on('exists', (event: { count: number; prevCount: number }) => {
    if (event.count <= event.prevCount) return;
    total += event.count - event.prevCount;
    arrivals.push({ at: monotonicMs(), total });
  });
  let stopped = false;
  const idle = () => {
    if (!stopped) client.idle().then(idle, () => undefined);
  };
  idle();
  return {
    arrivals,
    get total() {
      return total;
    },
    get idling() {
      return client.idling;
    },
    async stop() {
      stopped = true;
      await client.logout();
    },
  };
}

export type IdleFloor = Awaited<ReturnType<typeof startIdleFloor>>;

/** Milliseconds on the machine's monotonic clock (`process.hrtime`), comparable across processes. */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
