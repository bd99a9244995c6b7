import { describe, expect, it } from 'vitest';
import { isPermanentImapError } from './channel.js';
import { toImapError } from './imap-errors.js';

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

