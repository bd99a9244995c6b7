import { manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { FloodGuard } from './flood-guard.js';

describe('FloodGuard', () => {
  it('allows a burst, then the rate', () => {
    const clock = manualClock(0);
    const guard = new FloodGuard(clock, 2, 3);
    expect([guard.allow(), guard.allow(), guard.allow(), guard.allow()]).toEqual([true, true, true, false]);
    clock.advance(500);
    expect([guard.allow(), guard.allow()]).toEqual([true, false]);
    clock.advance(60_000);
    expect([guard.allow(), guard.allow(), guard.allow(), guard.allow()]).toEqual([true, true, true, false]);
  });
});
