import { FosspushError } from '@fosspush/core';
import type { ImapFlow } from 'imapflow';

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
  return new FosspushError('UNAVAILABLE', `the IMAP server refused ${command} in ${JSON.stringify(path)}`, { details: { command } });
}

/** Creates the folder unless it exists; resolves to its full path as the server names it. */
export async function ensureFolder(client: ImapFlow, path: MailboxPath): Promise<string> {
  return (await client.mailboxCreate(toImapPath(path))).path;
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
