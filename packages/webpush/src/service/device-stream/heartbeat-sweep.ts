import type { Clock, Timers } from '@fosspush/core';

/**
 * Visits members from one timer, a slice per tick: each member sits in one of `slotCount`
 * slots, a tick visits the members of the next slot, and each visit says in how many ticks the
 * member wants its next one. A server with 20,000 devices then does a slice of the work per
 * tick instead of blocking its event loop for one long pass, and a member is visited when it
 * needs it rather than on every tick.
 *
 * Both device wires use it. The WebSocket server pings every version 1 device once per
 * interval: its devices join spread evenly over the slots (`add(member)`), whenever they join,
 * and each visit asks for the same slot a round later. The SSE handler writes each stream's
 * comment when its own cadence runs out: a stream joins, and returns to, the slot of its next
 * deadline (`add(member, ticks)`).
 *
 * @example
 * const wheel = new HeartbeatWheel<Device>(20, (device) => (device.ping(), 20));
 * wheel.add(device);
 * const stop = wheel.run(timers, clock, intervalMs / 20);
 */
export class HeartbeatWheel<T> {
  private readonly slots: Array<Set<T> | undefined>;
  private readonly slotOf = new Map<T, number>();
  /** The slot the next tick visits. */
  private current = 0;
  /** Where the next evenly spread member goes. */
  private nextSpread = 0;

  /** `visit` returns in how many ticks to visit the member again (1 = the next tick). */
  constructor(
    slotCount: number,
    private readonly visit: (member: T) => number,
  ) {
    this.slots = new Array<Set<T> | undefined>(Math.max(1, Math.floor(slotCount)));
  }

  get size(): number {
    return this.slotOf.size;
  }

  members(): IterableIterator<T> {
    return this.slotOf.keys();
  }

  /**
   * Adds a member to be visited in `inTicks` ticks (1 = the next; more than the slot count
   * waits one round), or, without it, in the slot after the last member added that way.
   */
  add(member: T, inTicks?: number): void {
    this.delete(member);
    if (inTicks === undefined) {
      this.put(member, this.nextSpread);
      this.nextSpread = (this.nextSpread + 1) % this.slots.length;
    } else {
      this.put(member, this.slotIn(inTicks));
    }
  }

  delete(member: T): boolean {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return false;
    this.slotOf.delete(member);
    this.slots[slot]?.delete(member);
    return true;
  }

  /**
   * Ticks once for every `tickMs` that passes on `clock`, from one timer, until the returned
   * function is called. A timer that fires late (a busy event loop) runs the ticks it owes, so
   * that a count of ticks stays a measure of time: a member's deadline is a count of ticks. A
   * clock that moved back, or jumped ahead (a suspended machine), is counted from anew.
   */
  run(timers: Timers, clock: Clock, tickMs: number): () => void {
    let anchor = clock.now();
    let ticked = 0;
    return repeatEvery(timers, tickMs, () => {
      const now = clock.now();
      let owed = Math.floor((now - anchor) / tickMs + 1e-9) - ticked;
      if (owed < 1 || owed > this.slots.length) {
        owed = owed < 1 ? 1 : this.slots.length;
        anchor = now - (ticked + owed) * tickMs;
      }
      for (; owed > 0; owed--) {
        ticked++;
        this.tick();
      }
    });
  }

  /** Visits the members of the next slot. */
  tick(): void {
    const slot = this.current;
    const due = this.slots[slot];
    this.slots[slot] = undefined;
    this.current = (slot + 1) % this.slots.length;
    if (due === undefined) return;
    for (const member of due) {
      // An earlier visit of this tick may have removed or moved it (a closed connection).
      if (this.slotOf.get(member) !== slot) continue;
      const again = this.visit(member);
      if (this.slotOf.get(member) === slot) this.put(member, this.slotIn(again));
    }
  }

  private slotIn(ticks: number): number {
    const ahead = Math.min(this.slots.length, Math.max(1, Math.floor(ticks)));
    return (this.current + ahead - 1) % this.slots.length;
  }

  private put(member: T, slot: number): void {
    this.slotOf.set(member, slot);
    let members = this.slots[slot];
    if (members === undefined) {
      members = new Set();
      this.slots[slot] = members;
    }
    members.add(member);
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
