import { isFosspushError, manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

const rejection = (take: () => void) => {
  try {
    take();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('createRateLimiter', () => {
  it('allows a burst, then refills at the configured rate', () => {
    const clock = manualClock(0);
    const limiter = createRateLimiter({ ratePerSecond: 2, burst: 3 }, clock);
    for (let i = 0; i < 3; i++) limiter.take('ip');
    const error = rejection(() => limiter.take('ip'));
    expect(isFosspushError(error, 'RATE_LIMITED')).toBe(true);
    expect((error as { details: { retryAfterSeconds: number } }).details.retryAfterSeconds).toBeCloseTo(0.5);
    clock.advance(500);
    limiter.take('ip');
    expect(rejection(() => limiter.take('ip'))).toBeDefined();
  });

  it('keeps keys apart', () => {
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1 }, manualClock(0));
    limiter.take('a');
    limiter.take('b');
    expect(rejection(() => limiter.take('a'))).toBeDefined();
  });

  it('forgets refilled buckets once it tracks too many keys, but keeps the drained ones', () => {
    const clock = manualClock(0);
    const limiter = createRateLimiter({ ratePerSecond: 1, burst: 1 }, clock, 10);
    for (let i = 0; i < 10; i++) limiter.take(`idle-${i}`);
    clock.advance(5000);
    limiter.take('busy');
    for (let i = 0; i < 5; i++) limiter.take(`new-${i}`);
    expect(limiter.trackedKeys).toBeLessThanOrEqual(10);
    expect(rejection(() => limiter.take('busy'))).toBeDefined();
  });

  it('rejects a nonsensical limit', () => {
    expect(() => createRateLimiter({ ratePerSecond: 0, burst: 1 }, manualClock(0))).toThrow(/ratePerSecond/);
  });
});
