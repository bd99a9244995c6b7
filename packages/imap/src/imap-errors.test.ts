import { FosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { isPermanentImapError, toImapError } from './imap-errors.js';

describe('toImapError', () => {
  it('tells a refused login (final) from connection trouble (retried)', () => {
    expect(toImapError(Object.assign(new Error('Authentication failed'), { authenticationFailed: true, serverResponseCode: 'AUTHENTICATIONFAILED' }))).toMatchObject({
      code: 'UNAUTHENTICATED',
      details: { serverResponseCode: 'AUTHENTICATIONFAILED' },
    });
    expect(toImapError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).code).toBe('UNAVAILABLE');
    expect(toImapError(Object.assign(new Error('greeting'), { code: 'GREETING_TIMEOUT' })).code).toBe('TIMEOUT');
    expect(toImapError('odd').code).toBe('UNAVAILABLE');
  });

  it('names the command, the folder and what the server said instead of imapflow\'s "Command failed"', () => {
    const error = toImapError(Object.assign(new Error('Command failed'), { responseStatus: 'NO', responseText: 'Mailbox does not exist' }), {
      command: 'SELECT',
      folder: 'INBOX.Fosspush',
    });
    expect(error.message).toBe('IMAP SELECT "INBOX.Fosspush" failed: NO Mailbox does not exist');
    expect(error.details).toEqual({ command: 'SELECT', folder: 'INBOX.Fosspush', serverStatus: 'NO', serverText: 'Mailbox does not exist' });
    expect(isPermanentImapError(error)).toBe(false);
  });
});

describe('isPermanentImapError', () => {
  it('is true for a refused login and for errors marked permanent, false for the rest', () => {
    expect(isPermanentImapError(new FosspushError('UNAUTHENTICATED', 'no'))).toBe(true);
    expect(isPermanentImapError(new FosspushError('PERMISSION_DENIED', 'no', { details: { permanent: true } }))).toBe(true);
    expect(isPermanentImapError(new FosspushError('UNAVAILABLE', 'dropped'))).toBe(false);
  });
});
