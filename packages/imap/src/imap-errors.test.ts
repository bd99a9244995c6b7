import { describe, expect, it } from 'vitest';
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
});
