import { type ChannelState, type FosspushError, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createImapChannel } from '../src/index.js';
import { channelOptions, rigInfo } from './helpers.js';

describe('email channel with a refused login', () => {
  it('turns failed with the reason, rejects connect() and schedules no retry', async () => {
    const info = rigInfo();
    const options = channelOptions(info, 'smtp');
    const clock = manualClock();
    const channel = createImapChannel({
      ...options,
      // A user the rig does not have: no other test's account meets the auth failure delay.
      imap: { ...options.imap, auth: { user: 'nobody-here', pass: 'wrong' } },
      // Real sockets, fake timers: a retry would show as a pending timer.
      runtime: { timers: clock.timers },
    });
    const states: ChannelState[] = [];
    const errors: FosspushError[] = [];
    channel.on('state', (state) => states.push(state));
    channel.on('error', (error) => errors.push(error));
    try {
      await expect(channel.connect()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(channel.state).toBe('failed');
      expect(channel.failure).toMatchObject({ code: 'UNAUTHENTICATED', message: expect.stringMatching(/refused the login/) });
      expect(states).toEqual(['connecting', 'failed']);
      expect(errors.map((error) => error.code)).toEqual(['UNAUTHENTICATED']);
      // The failed session's LOGOUT wait may still be pending; a reconnect would be a timer
      // beyond it. Advancing an hour runs whatever is there, and nothing starts again.
      clock.advance(3_600_000);
      expect(channel.state).toBe('failed');
      expect(states).toEqual(['connecting', 'failed']);
    } finally {
      await channel.close();
    }
    expect(channel.state).toBe('closed');
    expect(channel.failure).toBeUndefined();
  });
});
