import type { Timers } from '@fosspush/core';

/**
 * Visits every member of a set once per round, spread over `slices` ticks, so that a server
 * with 20,000 devices does a twentieth of the work per tick instead of blocking its event loop
 * for one long pass. A round starts on its first tick from the set's start and ends on its last
 * tick with whatever it has not reached yet: every member present when a round starts is
 * visited exactly once in it, whatever the set's size (a pass that restarted whenever it ran
 * out visited a lone device `slices` times a round). Members added during a round are visited
 * in it at most once (a Set's iterator reaches entries added while it runs).
 */
export class SlicedSweep<T> {
  private cursor: Iterator<T> | undefined;
  private tickInRound = 0;
  private budget = 0;

  constructor(
    private readonly items: ReadonlySet<T>,
    private readonly slices: number,
    private readonly visit: (item: T) => void,
  ) {}

  tick(): void {
    if (this.tickInRound === 0) {
      this.cursor = this.items.values();
      this.budget = Math.ceil(this.items.size / this.slices);
    }
    const lastTick = this.tickInRound === this.slices - 1;
    this.tickInRound = lastTick ? 0 : this.tickInRound + 1;
    const cursor = this.cursor;
    if (cursor === undefined) return;
    for (let left = this.budget; lastTick || left > 0; left--) {
      const next = cursor.next();
      if (next.done) {
        this.cursor = undefined;
        return;
      }
      this.visit(next.value);
    }
  }
}

/**
 * Runs `tick` every `everyMs` until the returned function is called. The timer does not keep
 * a Node process alive: a server's heartbeat must not stop it from exiting.
 */
export function repeatEvery(timers: Timers, everyMs: number, tick: () => void): () => void {
  let handle: unknown;
  let stopped = false;
  const arm = () => {
    handle = timers.setTimeout(run, everyMs);
    (handle as { unref?: () => void } | undefined)?.unref?.();
  };
  const run = () => {
    if (stopped) return;
    arm();
    tick();
  };
  arm();
  return () => {
    stopped = true;
    timers.clearTimeout(handle);
  };
}
