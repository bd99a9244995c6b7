import { FosspushError } from '@fosspush/core';
import type { ImapFlow } from 'imapflow';

/** Tells the session that INBOX changed while the connection IDLEs on the notification folder. */
export interface InboxWatch {
  readonly mode: 'notify' | 'connection';
  /** Proves the watch is alive (a second connection can die on its own); rejects if it is not. */
  probe(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The parts of imapflow that raw commands need. imapflow has no API for NOTIFY (RFC 5465), so
 * the command goes through its command queue (`exec`) and the unsolicited `STATUS` responses
 * NOTIFY produces go to a connection-wide handler (`untaggedHandlers`). Both are internal: if a
 * later imapflow drops them, `startNotifyWatch` reports false and the channel falls back to a
 * second connection.
 */
interface ImapFlowInternals {
  exec?: (command: string, attributes: unknown[]) => Promise<{ next(): void }>;
  untaggedHandlers?: Record<string, ((untagged: unknown) => Promise<void> | void) | null>;
}

const atom = (value: string) => ({ type: 'ATOM', value });
const EVENTS = [atom('MessageNew'), atom('MessageExpunge')];

/**
 * NOTIFY SET (SELECTED (MessageNew MessageExpunge)) (MAILBOXES INBOX (MessageNew MessageExpunge)):
 * the selected folder keeps reporting EXISTS as under IDLE, and INBOX reports `* STATUS INBOX`
 * on each new message (RFC 5465 requires MessageNew and MessageExpunge together). Measured on
 * Dovecot 2.3: the STATUS arrives as soon as an IDLE on INBOX would see EXISTS (about 0.5 s after
 * delivery, Dovecot's change-notice delay), so one connection serves both folders.
 */
export async function startNotifyWatch(client: ImapFlow, onInboxChange: () => void): Promise<InboxWatch | undefined> {
  const internals = client as unknown as ImapFlowInternals;
  if (!client.capabilities.has('NOTIFY') || typeof internals.exec !== 'function' || typeof internals.untaggedHandlers !== 'object') return undefined;
  const handlers = internals.untaggedHandlers;
  handlers['STATUS'] = () => onInboxChange();
  try {
    const response = await internals.exec.call(client, 'NOTIFY', [
      atom('SET'),
      [atom('SELECTED'), EVENTS],
      [atom('MAILBOXES'), atom('INBOX'), EVENTS],
    ]);
    response.next();
  } catch {
    delete handlers['STATUS'];
    return undefined;
  }
  return {
    mode: 'notify',
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
): Promise<InboxWatch> {
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
    probe: () => client.noop(),
    async close() {
      closing = true;
      client.close();
    },
  };
}
