// fosspushd for the email benchmark, in a process of its own: createDaemon with one email
// account, plus clocks on each hop inside it. Nothing here changes what the daemon does: the
// hops are read from its structured log (`message_stored`, logged once the message is committed
// and its IPC frame written), a listener on the channel registered before the daemon's, and
// imapflow's protocol log. Times are `process.hrtime` (monotonic, shared by every process on
// the machine), so the parent compares them with its own.
//
// Parent -> child (process IPC): { id, cmd: 'hops', args: { since, messageId } }.
import { monotonicMs } from '@fosspush/testing';
import { runBenchDaemon } from './daemon-child.js';

export interface EmailDaemonSettings {
  dataDir: string;
  socketPath: string;
  /** The email account's `createImapChannel` options (JSON). */
  options: Record<string, unknown>;
}

/** When each hop inside the daemon happened for one message (monotonic ms); absent if not seen. */
export interface DaemonHops {
  /** The server's last announcement (`* STATUS` via NOTIFY, or `* n EXISTS`) before the FETCH. */
  announced?: number;
  /** The FETCH of the notification sent, and answered. */
  fetchSent?: number;
  fetched?: number;
  /** The channel's `message` event: OpenPGP decrypted and signature verified. */
  channel?: number;
  /** Stored in SQLite (committed) and the IPC notification written to the app's socket. */
  stored?: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as EmailDaemonSettings;
type Mark = { at: number; what: 'announced' | 'fetchSent' | 'fetched' };
const protocol: Mark[] = [];
const byMessage = new Map<string, { channel?: number; stored?: number }>();
const hop = (messageId: string) => {
  const entry = byMessage.get(messageId) ?? {};
  byMessage.set(messageId, entry);
  return entry;
};

/** The tag of the last FETCH sent: its tagged answer ends it (Dovecot and Cyrus word it differently). */
let fetchTag: string | undefined;
const onProtocolLine = (entry: { src?: string; msg?: unknown }) => {
  if (typeof entry?.msg !== 'string') return;
  const at = monotonicMs();
  if (entry.src === 's' && /^\* (STATUS |\d+ EXISTS)/.test(entry.msg)) protocol.push({ at, what: 'announced' });
  else if (entry.src === 'c' && / UID FETCH /.test(entry.msg)) {
    fetchTag = entry.msg.split(' ')[0];
    protocol.push({ at, what: 'fetchSent' });
  } else if (entry.src === 's' && fetchTag !== undefined && entry.msg.startsWith(`${fetchTag} `)) {
    fetchTag = undefined;
    protocol.push({ at, what: 'fetched' });
  }
  while (protocol.length > 1_000) protocol.shift();
};
const imapLogger = { debug: onProtocolLine, info: onProtocolLine, warn: () => undefined, error: () => undefined };

function hopsOf(since: number, messageId: string): DaemonHops {
  const fetchSent = protocol.find((mark) => mark.what === 'fetchSent' && mark.at >= since)?.at;
  const fetched = fetchSent === undefined ? undefined : protocol.find((mark) => mark.what === 'fetched' && mark.at >= fetchSent)?.at;
  const announced = fetchSent === undefined ? undefined : protocol.findLast((mark) => mark.what === 'announced' && mark.at >= since && mark.at <= fetchSent)?.at;
  return { announced, fetchSent, fetched, ...byMessage.get(messageId) };
}

await runBenchDaemon<{ since: number; messageId: string }>(
  {
    dataDir: settings.dataDir,
    socketPath: settings.socketPath,
    accounts: [{ id: 'mail', type: 'email', options: { ...settings.options, clientOptions: { logger: imapLogger } } }],
  },
  {
    channelMessage: (messageId) => {
      hop(messageId).channel ??= monotonicMs();
    },
    stored: (messageId) => {
      hop(messageId).stored ??= monotonicMs();
    },
    hops: ({ since, messageId }) => hopsOf(since, messageId),
  },
);
