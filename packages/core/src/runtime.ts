/**
 * Platform primitives that every component takes as options, so tests can pass a fake clock or
 * a seeded random source and `core` stays free of any one platform.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export interface RandomSource {
  /** `length` cryptographically strong random bytes. */
  bytes(length: number): Uint8Array;
}

export interface Runtime {
  clock: Clock;
  random: RandomSource;
}

export const systemClock: Clock = { now: () => Date.now() };

export const cryptoRandom: RandomSource = {
  bytes(length) {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65536 bytes per call.
    for (let offset = 0; offset < length; offset += 65536) {
      globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)));
    }
    return out;
  },
};

export const defaultRuntime: Runtime = { clock: systemClock, random: cryptoRandom };

/** Fills in the platform defaults for whatever the caller did not inject. */
export function resolveRuntime(partial: Partial<Runtime> = {}): Runtime {
  return { ...defaultRuntime, ...partial };
}

/** A clock that only moves when told to: for tests of TTL expiry and timeouts. */
export function manualClock(startMs = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    advance(ms) {
      nowMs += ms;
    },
    set(ms) {
      nowMs = ms;
    },
  };
}
