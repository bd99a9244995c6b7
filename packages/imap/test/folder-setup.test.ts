import { createMemoryChannelState, type FosspushError, isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createImapChannel, isPermanentImapError } from '../src/index.js';
import { channelOptions, rigInfo, SERVERS } from './helpers.js';

describe.each(SERVERS)('folder setup on %s', (server) => {
  const info = rigInfo(server);

  it('a folder the server refuses to create stops the channel with the reason, instead of retrying forever', async () => {
    // Both servers refuse a 600-character name ("Mailbox name too long", "Invalid mailbox name"), however often asked.
    const folder = `Fosspush-${'x'.repeat(600)}`;
    const channel = createImapChannel(channelOptions(info, 'folders', { state: createMemoryChannelState(), folder }));
    const errors: FosspushError[] = [];
    channel.on('error', (error) => errors.push(error));
    try {
      const failure = await channel.connect().catch((error: unknown) => error);
      expect(isFosspushError(failure, 'PERMISSION_DENIED')).toBe(true);
      const error = failure as FosspushError;
      expect(isPermanentImapError(error)).toBe(true);
      expect(error.details).toMatchObject({ command: 'CREATE', folder: expect.stringContaining(folder), serverStatus: 'NO', permanent: true });
      expect(String(error.details['serverText']).length).toBeGreaterThan(0);
      expect(error.message).toContain(String(error.details['serverText']));
      // The state a status display shows, and the error it shows with it.
      expect(channel.state).toBe('failed');
      expect(channel.failure).toBe(error);
      expect(errors).toEqual([error]);
    } finally {
      await channel.close();
    }
  });
});
