import { FosspushError, isFosspushError } from '@fosspush/core';

const TIMEOUT_CODES = new Set(['CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT', 'ETIMEDOUT']);

/**
 * imapflow's errors (and node:net's beneath them) as FosspushErrors: a refused login is
 * UNAUTHENTICATED (retrying will not help), timeouts are TIMEOUT, everything else about the
 * connection is UNAVAILABLE (retried with backoff).
 */
export function toImapError(error: unknown): FosspushError {
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
  const kind = code !== undefined && TIMEOUT_CODES.has(code) ? 'TIMEOUT' : 'UNAVAILABLE';
  return new FosspushError(kind, `IMAP: ${message}`, { cause: error, details: code === undefined ? {} : { imapCode: code } });
}
