import type { MailRigInfo } from '@fosspush/testing';
import { ImapFlow } from 'imapflow';
import { rigUser } from '../test/fixtures.js';

/**
 * The raw floor: a bare imapflow client that IDLEs on a folder (read-only) and only notes when
 * the server reports EXISTS. Nothing can hear of a new mail sooner over IMAP IDLE.
 */
export async function startFloor(info: MailRigInfo, user: string, path: string) {
  const { name, password } = rigUser(info, user);
  const client = new ImapFlow({ host: info.host, port: info.ports.imap, secure: false, auth: { user: name, pass: password }, logger: false, disableAutoIdle: true });
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
    arrivals.push({ at: performance.now(), total });
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
