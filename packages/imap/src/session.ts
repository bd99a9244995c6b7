import { type Clock, delay, EMAIL_NOTIFY_LIMITS, EMAIL_NOTIFY_MARKER_HEADER, FosspushError, type Timers, withTimeout } from '@fosspush/core';
import { ImapFlow } from 'imapflow';
import type { ImapStateView } from './channel-state.js';
import { type MailboxWatch, startConnectionWatch, startNotifyWatch } from './mailbox-watch.js';
import type { AckedMailLedger } from './ledger.js';
import { ensureFolders, expungeOwn, moveOutOfInbox, moveOwn, searchUids, toImapPath, uidSet } from './mailbox-ops.js';
import type { ResolvedImapChannelOptions } from './channel.js';
import type { Receiver } from './receiver.js';
import { toImapError } from './imap-errors.js';

export interface SessionContext {
  options: ResolvedImapChannelOptions;
  receiver: Receiver;
  ledger: AckedMailLedger;
  state: ImapStateView;
  timers: Timers;
  clock: Clock;
  /** The session is connected, its folders exist (named as the server names them) and it watches for mail. */
  onReady(info: { inboxWatch: MailboxWatch['mode'] | 'off'; folders: ServerFolders }): void;
}

/** The channel's folders as the server names them (`INBOX.Fosspush` behind a personal namespace prefix). */
export interface ServerFolders {
  /** Where notifications are filed: what a Sieve rule's `fileinto` must name. */
  notify: string;
  quarantine: string;
}

export interface ImapSession {
  /** Runs until the connection fails (rejects with a FosspushError) or `stop` is called (resolves). */
  run(): Promise<void>;
  /** Something to do: new mail in INBOX or in the folder, or acked mail to expunge. */
  wake(what: 'inbox' | 'folder'): void;
  stop(): Promise<void>;
}

const PURGE_INTERVAL_MS = 24 * 3_600_000;

export function createImapClient(options: ResolvedImapChannelOptions): ImapFlow {
  const { imap } = options;
  const secure = imap.secure ?? true;
  return new ImapFlow({
    logger: false,
    ...options.clientOptions,
    host: imap.host,
    port: imap.port ?? (secure ? 993 : 143),
    secure,
    auth: imap.auth,
    ...(imap.tls === undefined ? {} : { tls: imap.tls }), // kept: an undefined tls would erase clientOptions.tls
    // The session decides when to IDLE; imapflow restarts a long IDLE by itself.
    disableAutoIdle: true,
    maxIdleTime: options.idleRestartMs,
    connectionTimeout: options.commandTimeoutMs,
    greetingTimeout: options.commandTimeoutMs,
  });
}

/**
 * One IMAP connection to the account, from login to failure: it files notifications that
 * landed in INBOX into the notification folder, drains that folder through the receiver,
 * expunges what the host acked, and otherwise IDLEs: with NOTIFY, on the quarantine folder
 * while both INBOX and the folder report new mail (see mailbox-watch.ts), without it on the
 * folder. A failed session is not repaired; the channel starts a new one (imapflow clients
 * cannot reconnect).
 */
export function createImapSession(context: SessionContext): ImapSession {
  const { options, receiver, ledger, state, timers, clock } = context;
  const client = createImapClient(options);
  let watch: MailboxWatch | undefined;
  let stopped = false;
  // The first cycle catches up on everything that arrived while no session ran.
  let inboxDirty = options.watchInbox;
  let folderDirty = true;
  let wakeIdle: (() => void) | undefined;
  let folderPath: string | undefined;
  let quarantinePath: string | undefined;
  let lastPurgeAt = Number.NEGATIVE_INFINITY;
  const skipped = new Set<string>();
  /** Mail waiting for its hello: location -> the receiver's pin count when it was deferred. */
  const deferred = new Map<string, number>();

  let fail: (error: FosspushError) => void = () => undefined;
  const ended = new Promise<never>((_, reject) => {
    fail = reject;
  });
  ended.catch(() => undefined);

  client.on('error', (error: unknown) => fail(toImapError(error)));
  client.on('close', () => fail(new FosspushError('UNAVAILABLE', 'the IMAP connection closed')));
  client.on('exists', (event: { path: string }) => wake(event.path === 'INBOX' ? 'inbox' : 'folder'));

  /** One IMAP command, bounded in time; a failure names the command (and folder) and the server's answer. */
  const step = <T>(work: Promise<T>, command: string, folder?: string): Promise<T> =>
    withTimeout(Promise.race([work, ended]), options.commandTimeoutMs, timers, `IMAP ${command}`).catch((error: unknown) => {
      throw toImapError(error, folder === undefined ? { command } : { command, folder });
    });

  function wake(what: 'inbox' | 'folder') {
    if (what === 'inbox') inboxDirty = true;
    else folderDirty = true;
    wakeIdle?.();
  }

  const folderSelected = () => client.mailbox !== false && client.mailbox.path === folderPath && client.mailbox.readOnly !== true;

  async function startWatch(folder: string): Promise<MailboxWatch | undefined> {
    if (options.inboxWatch !== 'connection') {
      const notify = await step(startNotifyWatch(client, { inbox: options.watchInbox, folder }, wake), 'NOTIFY');
      if (notify !== undefined) return notify;
      if (options.inboxWatch === 'notify') throw new FosspushError('UNAVAILABLE', 'the IMAP server does not support NOTIFY (inboxWatch: "notify")');
    }
    if (!options.watchInbox) return undefined;
    return step(
      startConnectionWatch(
        () => createImapClient(options),
        () => wake('inbox'),
        (error) => fail(error),
      ),
      'connect (INBOX watch)',
    );
  }

  /** Spec section 8.2: find notifications by the marker alone, read-only, and move exactly those. */
  async function sweepInbox(): Promise<void> {
    const box = await step(client.mailboxOpen('INBOX', { readOnly: true }), 'EXAMINE', 'INBOX');
    const uidValidity = String(box.uidValidity);
    const checkpoint = await state.inboxCheckpoint();
    const from = checkpoint?.uidValidity === uidValidity ? checkpoint.uidNext : 1;
    if (box.exists > 0 && box.uidNext > from) {
      const query = { uid: `${from}:*`, header: { [EMAIL_NOTIFY_MARKER_HEADER]: true } };
      // `n:*` also matches the highest UID when it is below n (RFC 3501 section 6.4.8).
      const found = (await step(searchUids(client, query, 'INBOX'), 'SEARCH', 'INBOX')).filter((uid) => uid >= from);
      if (found.length > 0) {
        await step(client.mailboxOpen('INBOX'), 'SELECT', 'INBOX');
        await step(moveOutOfInbox(client, found, options.folder), 'MOVE');
        folderDirty = true;
      }
    }
    if (checkpoint?.uidValidity !== uidValidity || checkpoint.uidNext !== box.uidNext) {
      await state.saveInboxCheckpoint({ uidValidity, uidNext: box.uidNext });
    }
  }

  async function purgeQuarantine(): Promise<void> {
    const now = clock.now();
    if (now - lastPurgeAt < PURGE_INTERVAL_MS) return;
    await step(client.mailboxOpen(toImapPath(options.quarantineFolder)), 'SELECT', quarantinePath);
    const old = await step(searchUids(client, { before: new Date(now - options.quarantineRetentionMs) }, options.quarantineFolder), 'SEARCH quarantine');
    await step(expungeOwn(client, old, options.quarantineFolder), 'EXPUNGE quarantine');
    lastPurgeAt = now;
  }

  async function drainFolder(): Promise<void> {
    const box = folderSelected() && client.mailbox !== false ? client.mailbox : await step(client.mailboxOpen(toImapPath(options.folder)), 'SELECT', folderPath);
    folderPath = box.path;
    const uidValidity = String(box.uidValidity);
    const acked = ledger.pendingDeletes(uidValidity);
    if (acked.length > 0) {
      await step(expungeOwn(client, acked, options.folder), 'EXPUNGE');
      await ledger.expunged(uidValidity, acked);
    }
    receiver.releaseUnacked();
    if (client.mailbox === false || client.mailbox.exists === 0) return;
    const uids = await step(searchUids(client, { all: true }, options.folder), 'SEARCH');
    // Taken after the search: an ack may have moved a mail from in flight to the ledger meanwhile.
    const busy = receiver.handledUids(uidValidity);
    const waiting = (uid: number) => deferred.get(`${uidValidity}:${uid}`) === receiver.pins;
    const todo = uids.filter((uid) => !busy.has(uid) && !skipped.has(`${uidValidity}:${uid}`) && !waiting(uid));
    for (let i = 0; i < todo.length && !stopped; i += options.fetchBatchSize) {
      const batch = todo.slice(i, i + options.fetchBatchSize);
      // One byte past the spec's limit is enough for the receiver to refuse an oversized mail.
      const query = { uid: true, source: { maxLength: EMAIL_NOTIFY_LIMITS.maxEmailBytes + 1 } };
      const messages = await step(client.fetchAll(uidSet(batch), query, { uid: true }), 'FETCH');
      const quarantine: number[] = [];
      const remove: number[] = [];
      for (const message of messages) {
        if (message.source === undefined) continue;
        const location = `${uidValidity}:${message.uid}`;
        const verdict = await receiver.receive(message.source, { uidValidity, uid: message.uid });
        deferred.delete(location);
        if (verdict === 'quarantine') quarantine.push(message.uid);
        else if (verdict === 'delete') remove.push(message.uid);
        else if (verdict === 'skip') skipped.add(location);
        else if (verdict === 'defer') deferred.set(location, receiver.pins);
      }
      await step(moveOwn(client, quarantine, options.folder, options.quarantineFolder), 'MOVE to quarantine');
      await step(expungeOwn(client, remove, options.folder), 'EXPUNGE');
    }
    // A hello in this drain may be what deferred mail was waiting for.
    if ([...deferred.values()].some((pinsThen) => pinsThen !== receiver.pins)) folderDirty = true;
  }

  async function cycle(): Promise<void> {
    if (inboxDirty) {
      inboxDirty = false;
      await sweepInbox();
    }
    await purgeQuarantine();
    // Without NOTIFY, mail filed into the folder while another mailbox was selected raised no
    // EXISTS: drain whenever the folder is selected anew.
    if (folderDirty || (watch?.idleOn !== 'quarantine' && !folderSelected())) {
      folderDirty = false;
      await drainFolder();
    }
  }

  async function idle(): Promise<void> {
    const woken = new Promise<void>((resolve) => {
      wakeIdle = resolve;
    });
    try {
      if (inboxDirty || folderDirty || stopped) return;
      if (watch?.idleOn === 'quarantine' && (client.mailbox === false || client.mailbox.path !== quarantinePath)) {
        await step(client.mailboxOpen(toImapPath(options.quarantineFolder), { readOnly: true }), 'EXAMINE', quarantinePath);
      }
      if (client.idling) await step(client.noop(), 'NOOP');
      const idling = client.idle();
      idling.catch(() => undefined);
      let received = client.stats().received;
      for (;;) {
        const tick = delay(options.watchdogIntervalMs, timers);
        const outcome = await Promise.race([woken.then(() => 'wake'), idling.then(() => 'ended'), ended, tick.done.then(() => 'tick')]).finally(
          () => tick.cancel(),
        );
        if (outcome !== 'tick') return;
        if (receiver.releaseUnacked() || deferred.size > 0) {
          // Unacked messages are handed on again; deferred mail may have waited long enough.
          folderDirty = true;
          return;
        }
        const now = client.stats().received;
        if (now !== received) {
          received = now;
          continue;
        }
        // A whole interval of silence: a half-dead socket looks exactly like a quiet IDLE.
        await step(client.noop(), 'NOOP (watchdog)');
        if (watch !== undefined) await step(watch.probe(), 'NOOP (INBOX watch)');
        return;
      }
    } finally {
      wakeIdle = undefined;
    }
  }

  return {
    wake,
    async run() {
      try {
        await step(client.connect(), 'connect');
        const [folder, quarantine] = await step(ensureFolders(client, [options.folder, options.quarantineFolder]), 'LIST/CREATE');
        folderPath = folder as string;
        quarantinePath = quarantine as string;
        watch = await startWatch(folderPath);
        context.onReady({ inboxWatch: options.watchInbox ? (watch?.mode ?? 'off') : 'off', folders: { notify: folderPath, quarantine: quarantinePath } });
        while (!stopped) {
          await cycle();
          if (!stopped) await idle();
        }
      } catch (error) {
        if (stopped) return;
        throw toImapError(error);
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      wakeIdle?.();
      await watch?.close();
      try {
        await withTimeout(client.logout(), 2_000, timers, 'IMAP LOGOUT');
      } catch {
        client.close();
      }
    },
  };
}
