import { type Clock, FosspushError } from '@fosspush/core';

export interface RateLimit {
  /** Tokens added per second: the sustained request rate. */
  ratePerSecond: number;
  /** Bucket size: how many requests may arrive at once after a quiet spell. */
  burst: number;
}

export interface RateLimiter {
  /** Takes one token for `key`, or throws RATE_LIMITED with `retryAfterSeconds` in its details. */
  take(key: string): void;
  readonly trackedKeys: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * Token buckets per key (client IP, push resource). Memory is bounded: past `maxKeys`, buckets
 * that have refilled are forgotten (they hold no information), then the oldest ones.
 *
 * @example
 * const perIp = createRateLimiter({ ratePerSecond: 50, burst: 100 }, clock);
 * perIp.take(req.socket.remoteAddress ?? '');
 */
export function createRateLimiter(limit: RateLimit, clock: Clock, maxKeys = 100_000): RateLimiter {
  if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1)) {
    throw new FosspushError('INVALID_REQUEST', 'a rate limit needs ratePerSecond > 0 and burst >= 1');
  }
  const buckets = new Map<string, Bucket>();

  const refill = (bucket: Bucket, now: number) => {
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((now - bucket.updatedAt) / 1000) * limit.ratePerSecond);
    bucket.updatedAt = now;
  };

  const evict = (now: number) => {
    for (const [key, bucket] of buckets) {
      refill(bucket, now);
      if (bucket.tokens >= limit.burst) buckets.delete(key);
    }
    for (const key of buckets.keys()) {
      if (buckets.size <= maxKeys / 2) break;
      buckets.delete(key);
    }
  };

  return {
    take(key) {
      const now = clock.now();
      let bucket = buckets.get(key);
      if (!bucket) {
        if (buckets.size >= maxKeys) evict(now);
        bucket = { tokens: limit.burst, updatedAt: now };
        buckets.set(key, bucket);
      } else {
        refill(bucket, now);
      }
      if (bucket.tokens < 1) {
        const retryAfterSeconds = (1 - bucket.tokens) / limit.ratePerSecond;
        throw new FosspushError('RATE_LIMITED', 'too many requests: slow down and retry after the Retry-After delay', {
          details: { retryAfterSeconds },
        });
      }
      bucket.tokens -= 1;
    },
    get trackedKeys() {
      return buckets.size;
    },
  };
}
