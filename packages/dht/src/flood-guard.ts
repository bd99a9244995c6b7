import type { Clock } from '@fosspush/core';

/**
 * A token bucket: `burst` values at once, then `ratePerSecond`. Checked before any parsing or
 * crypto, so a flood on a registration's key costs one comparison per value.
 */
export class FloodGuard {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly clock: Clock,
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.updatedAt = clock.now();
  }

  allow(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
