import { FosspushError } from '@fosspush/core';
import type { ImapFlow } from 'imapflow';
import { encodePath } from 'imapflow/lib/tools.js';

/** How the session learns of new mail in the folders it cannot keep selected. */
export interface MailboxWatch {
  readonly mode: 'notify' | 'connection';
  /** The mailbox the main connection selects (read-only) while it IDLEs. */
  readonly idleOn: 'folder' | 'quarantine';
  /** Proves the watch is alive (a second connection can die on its own); rejects if it is not. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

export type WatchedMailbox = 'inbox' | 'folder';

/**
 * The parts of imapflow that raw commands need. imapflow has no API for NOTIFY (RFC 5465), so
 * the command goes through its command queue (`exec`) and the unsolicited `STATUS` responses
 * NOTIFY produces go to a connection-wide handler (`untaggedHandlers`). Both are internal: if a
 * later imapflow drops them, `startNotifyWatch` reports undefined and the channel falls back to
 * plain IDLE (and a second connection for INBOX).
 */
interface ImapFlowInternals {
  exec?: (command: string, attributes: unknown[]) => Promise<{ next(): void }>;
  untaggedHandlers?: Record<string, ((untagged: { attributes?: Array<{ value?: unknown }> }) => Promise<void> | void) | null>;
}

const atom = (value: string) => ({ type: 'ATOM', value });
const EVENTS = [atom('MessageNew'), atom('MessageExpunge')];

/**
 * One connection for every mailbox, with NOTIFY: `NOTIFY SET (SELECTED (MessageNew
 * MessageExpunge)) (MAILBOXES (INBOX Fosspush) (MessageNew MessageExpunge))`, and the connection
 * IDLEs with the quarantine folder selected, so that both INBOX and the notification folder
 * report new mail as `* STATUS` (RFC 5465 wants MessageNew and MessageExpunge together).
 *
 * Neither watched mailbox is selected, so both report the same way (`STATUS`), and one
 * connection serves both; a second connection is used only where the server lacks NOTIFY. It
 * is no faster than IDLE on a selected mailbox: Dovecot holds every change notice, NOTIFY's
 * included, until 500 ms after the first change it sees (docs/email-channel.md, "Latency").
 */
export async function startNotifyWatch(client: ImapFlow, mailboxes: { inbox: boolean; folder: string }, onChange: (mailbox: WatchedMailbox) => void): Promise<MailboxWatch | undefined> {
  const internals = client as unknown as ImapFlowInternals;
  if (!client.capabilities.has('NOTIFY') || typeof internals.exec !== 'function' || typeof internals.untaggedHandlers !== 'object') return undefined;
  const handlers = internals.untaggedHandlers;
  const folder = encodePath(client, mailboxes.folder);
  handlers['STATUS'] = (untagged) => {
    const name = String(untagged.attributes?.[0]?.value ?? '');
    onChange(name.toUpperCase() === 'INBOX' ? 'inbox' : 'folder');
  };
  const names = mailboxes.inbox ? [atom('INBOX'), { type: 'STRING', value: folder }] : [{ type: 'STRING', value: folder }];
  try {
    const response = await internals.exec.call(client, 'NOTIFY', [atom('SET'), [atom('SELECTED'), EVENTS], [atom('MAILBOXES'), names, EVENTS]]);
    response.next();
  } catch {
    delete handlers['STATUS'];
    return undefined;
  }
  return {
    mode: 'notify',
    idleOn: 'quarantine',
    probe: async () => undefined,
    close: async () => {
      delete handlers['STATUS'];
    },
  };
}

/**
 * A second connection that IDLEs on INBOX (opened read-only, so nothing about the user's mail
 * changes), for servers without NOTIFY. `onFailure` reports it dropping, which ends the session.
 */
export async function startConnectionWatch(
  createClient: () => ImapFlow,
  onInboxChange: () => void,
  onFailure: (error: FosspushError) => void,
): Promise<MailboxWatch> {
  const client = createClient();
  let closing = false;
  client.on('error', () => undefined);
  client.on('close', () => {
    if (!closing) onFailure(new FosspushError('UNAVAILABLE', 'the INBOX watch connection closed'));
  });
  client.on('exists', () => onInboxChange());
  await client.connect();
  await client.mailboxOpen('INBOX', { readOnly: true });
  const idleForever = () => {
    if (closing || !client.usable) return;
    // Resolves when a command (the probe's NOOP) ends IDLE: start it again.
    client.idle().then(idleForever, () => undefined);
  };
  idleForever();
  return {
    mode: 'connection',
    idleOn: 'folder',
    probe: () => client.noop(),
    async close() {
      closing = true;
      client.close();
    },
  };
}
