import { FosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { isPermanentImapError } from './channel.js';

describe('isPermanentImapError', () => {
  it('is true for a refused login and for any error marked details.permanent', () => {
    expect(isPermanentImapError(new FosspushError('UNAUTHENTICATED', 'refused'))).toBe(true);
    expect(isPermanentImapError(new FosspushError('UNAVAILABLE', 'NO [CANNOT] folder name not allowed', { details: { permanent: true } }))).toBe(true);
  });

  it('is false for what a reconnect may fix', () => {
    expect(isPermanentImapError(new FosspushError('UNAVAILABLE', 'the IMAP connection closed'))).toBe(false);
    expect(isPermanentImapError(new FosspushError('TIMEOUT', 'IMAP NOOP took longer than 30000 ms'))).toBe(false);
    expect(isPermanentImapError(new FosspushError('UNAVAILABLE', 'busy', { details: { permanent: 'yes' } }))).toBe(false);
  });
});
