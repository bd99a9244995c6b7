import { FosspushError, isFosspushError } from '@fosspush/core';

const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);

/** What the channel was doing when an error came: the IMAP command and the folder it concerned. */
export interface ImapErrorContext {
  command?: string;
  folder?: string;
}

/** The server's tagged answer to a failed command, as imapflow attaches it to its error. */
export interface ImapReply {
  status: 'NO' | 'BAD';
  /** The human-readable text after the status, e.g. `Mailbox already exists`. */
  text: string;
  /** The RFC 5530 response code, e.g. `ALREADYEXISTS`, when the server sent one. */
  code?: string;
}

/** The server's NO or BAD behind an imapflow error; undefined for connection trouble. */
export function imapReply(error: unknown): ImapReply | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { responseStatus, responseText, serverResponseCode } = error as { responseStatus?: unknown; responseText?: unknown; serverResponseCode?: unknown };
  if (responseStatus !== 'NO' && responseStatus !== 'BAD') return undefined;
  return {
    status: responseStatus,
    text: typeof responseText === 'string' ? responseText : '',
    ...(typeof serverResponseCode === 'string' ? { code: serverResponseCode } : {}),
  };
}

/**
 * imapflow's errors (and node:net's beneath them) as FosspushErrors: a refused login is
 * UNAUTHENTICATED (retrying will not help), timeouts are TIMEOUT, everything else about the
 * connection is UNAVAILABLE (retried with backoff). The message and details name what failed:
 * the command and folder from `context`, and the server's own answer where it gave one
 * (imapflow's message is only "Command failed").
 */
export function toImapError(error: unknown, context: ImapErrorContext = {}): FosspushError {
  if (isFosspushError(error)) return error;
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    authenticationFailed?: unknown;
    code?: unknown;
    message?: unknown;
    serverResponseCode?: unknown;
  };
  const message = typeof fields.message === 'string' ? fields.message : String(error);
  const code = typeof fields.code === 'string' ? fields.code : undefined;
  if (fields.authenticationFailed === true) {
    return new FosspushError('UNAUTHENTICATED', `the IMAP server refused the login: ${message}`, {
      cause: error,
      details: typeof fields.serverResponseCode === 'string' ? { serverResponseCode: fields.serverResponseCode } : {},
    });
  }
  const reply = imapReply(error);
  const what = [context.command, context.folder === undefined ? undefined : JSON.stringify(context.folder)].filter(Boolean).join(' ');
  const said = reply === undefined ? message : `${reply.status} ${reply.text}`.trim();
  const kind = code !== undefined && TIMEOUT_CODES.has(code) ? 'TIMEOUT' : 'UNAVAILABLE';
  return new FosspushError(kind, what === '' ? `IMAP: ${said}` : `IMAP ${what} failed: ${said}`, {
    cause: error,
    details: {
      ...context,
      imapCode: code,
      serverStatus: reply?.status,
      serverText: reply?.text,
      serverCode: reply?.code,
    },
  });
}
