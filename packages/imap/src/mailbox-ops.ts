import { FosspushError } from '@fosspush/core';
import type { ImapFlow, ListResponse } from 'imapflow';
import { normalizePath } from 'imapflow/lib/tools.js';
import { imapReply, toImapError } from './imap-errors.js';

export type MailboxPath = string | readonly string[];

/** imapflow takes a mutable array; the channel's options are read-only. */
export const toImapPath = (path: MailboxPath): string | string[] => (typeof path === 'string' ? path : [...path]);

/** A compact IMAP sequence set of UIDs: `1:3,7,9:10`. */
export function uidSet(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const start = sorted[i] as number;
    let end = start;
    while (sorted[i + 1] === end + 1) end = sorted[++i] as number;
    ranges.push(start === end ? String(start) : `${start}:${end}`);
  }
  return ranges.join(',');
}

/** imapflow reports most command failures as a `false` result; the channel retries on a fresh connection. */
function refused(command: string, path: MailboxPath): FosspushError {
  return new FosspushError('UNAVAILABLE', `the IMAP server refused ${command} in ${JSON.stringify(path)}`, { details: { command, folder: path } });
}

/**
 * The folder's name as the server knows it: segments joined with its hierarchy separator and,
 * where it has one, its personal namespace prefix in front (`Fosspush` is `INBOX.Fosspush` on a
 * Cyrus server with the traditional namespace). The same rule imapflow applies to every command.
 */
export const serverFolderName = (client: ImapFlow, path: MailboxPath): string => normalizePath(client, toImapPath(path));

/** Folders a user's mail lives in: the channel treats its folder's content as its own, so never one of these. */
const USER_MAIL_FOLDERS = new Set(['\\Inbox', '\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash']);

/** A mailbox LIST names that can hold mail (a `\Noselect` parent only holds the name). */
const selectable = (entry: ListResponse) => !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent');

/**
 * Makes sure the channel's folders exist and resolves their names as the server has them. It
 * looks first (one LIST) and creates only what is missing, so a reconnect never depends on how
 * a server words "already exists": Cyrus answers `NO Mailbox already exists` without RFC 5530's
 * `[ALREADYEXISTS]`, which imapflow then reports as a failure. A CREATE that fails is followed
 * by another LIST (Sieve's `fileinto :create` may have made the folder meanwhile); a folder that
 * is still missing then is a permanent error (see `folderSetupRefused`).
 */
export async function ensureFolders(client: ImapFlow, paths: readonly MailboxPath[]): Promise<string[]> {
  let listed = await listFolders(client);
  const names: string[] = [];
  for (const path of paths) {
    const name = serverFolderName(client, path);
    const entry = listed.get(name);
    if (name === 'INBOX' || (entry?.specialUse !== undefined && USER_MAIL_FOLDERS.has(entry.specialUse))) {
      throw new FosspushError('INVALID_REQUEST', `the folder ${JSON.stringify(name)} holds the user's own mail (${entry?.specialUse ?? 'INBOX'}); the channel needs a folder of its own`, {
        details: { command: 'LIST', folder: name, specialUse: entry?.specialUse ?? '\\Inbox', permanent: true },
      });
    }
    if (entry === undefined || !selectable(entry)) {
      try {
        await client.mailboxCreate(name);
      } catch (error) {
        listed = await listFolders(client);
        const now = listed.get(name);
        if (now === undefined || !selectable(now)) throw folderSetupRefused(error, name);
      }
    }
    names.push(name);
  }
  return names;
}

async function listFolders(client: ImapFlow): Promise<Map<string, ListResponse>> {
  // LIST only: the subscription state (LSUB) does not matter to whether a folder exists.
  return new Map((await client.list({ listOnly: true })).map((entry) => [entry.path, entry]));
}

/**
 * A CREATE the server refused for a folder that does not exist: the server's answer (a NO for
 * permissions, quota, a name it will not take) does not change by retrying, so it is a
 * permanent failure the user has to see (`details.permanent`, see `isPermanentImapError`).
 * Connection trouble during the CREATE stays transient.
 */
function folderSetupRefused(error: unknown, folder: string): FosspushError {
  const reply = imapReply(error);
  if (reply === undefined) return toImapError(error, { command: 'CREATE', folder });
  return new FosspushError('PERMISSION_DENIED', `the IMAP server refused to create the folder ${JSON.stringify(folder)}: ${reply.status} ${reply.text}`, {
    cause: error,
    details: { command: 'CREATE', folder, serverStatus: reply.status, serverText: reply.text, serverCode: reply.code, permanent: true },
  });
}

export async function searchUids(client: ImapFlow, query: Parameters<ImapFlow['search']>[0], path: MailboxPath): Promise<number[]> {
  const found = await client.search(query, { uid: true });
  if (!Array.isArray(found)) throw refused('SEARCH', path);
  return found;
}

/** Expunges exactly these UIDs: UID EXPUNGE where the server has UIDPLUS. Only for the channel's own folders. */
export async function expungeOwn(client: ImapFlow, uids: readonly number[], path: MailboxPath): Promise<void> {
  if (uids.length === 0) return;
  if (!(await client.messageDelete(uidSet(uids), { uid: true }))) throw refused('EXPUNGE', path);
}

/** Moves mail between the channel's own folders. */
export async function moveOwn(client: ImapFlow, uids: readonly number[], from: MailboxPath, to: MailboxPath): Promise<void> {
  if (uids.length === 0) return;
  if (!(await client.messageMove(uidSet(uids), toImapPath(to), { uid: true }))) throw refused('MOVE', from);
}

/**
 * Moves notifications out of INBOX, where the user's mail lives, touching nothing else: UID MOVE
 * (RFC 6851), or COPY then `\Deleted` plus UID EXPUNGE of exactly these UIDs (RFC 4315). A
 * server with neither MOVE nor UIDPLUS only gets the copy flagged `\Deleted`: a plain EXPUNGE
 * would also remove every other message the user marked deleted. (imapflow's own MOVE fallback
 * does issue a plain EXPUNGE, hence this function.)
 */
export async function moveOutOfInbox(client: ImapFlow, uids: readonly number[], to: MailboxPath): Promise<void> {
  if (uids.length === 0) return;
  const set = uidSet(uids);
  if (client.capabilities.has('MOVE')) {
    if (!(await client.messageMove(set, toImapPath(to), { uid: true }))) throw refused('MOVE', 'INBOX');
    return;
  }
  if (!(await client.messageCopy(set, toImapPath(to), { uid: true }))) throw refused('COPY', 'INBOX');
  const removed = client.capabilities.has('UIDPLUS')
    ? await client.messageDelete(set, { uid: true })
    : await client.messageFlagsAdd(set, ['\\Deleted'], { uid: true });
  if (!removed) throw refused('STORE', 'INBOX');
}
