import { manualClock } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { HeartbeatWheel } from './heartbeat-sweep.js';

describe('HeartbeatWheel', () => {
  it.each([1, 19, 20, 21, 20_000])('visits each of %i evenly spread members exactly once per round, over several rounds', (size) => {
    const members = Array.from({ length: size }, (_, i) => i);
    const visits = new Map<number, number>();
    const wheel = new HeartbeatWheel<number>(20, (member) => {
      visits.set(member, (visits.get(member) ?? 0) + 1);
      return 20;
    });
    for (const member of members) wheel.add(member);
    const rounds = 4;
    const counts: number[][] = [];
    for (let round = 0; round < rounds; round++) {
      for (let tick = 0; tick < 20; tick++) wheel.tick();
      counts.push(members.map((member) => visits.get(member) ?? 0));
    }
    for (let round = 0; round < rounds; round++) expect(new Set(counts[round])).toEqual(new Set([round + 1]));
  });

  it('spreads a round over its ticks instead of one long pass', () => {
    let visited = 0;
    const wheel = new HeartbeatWheel<number>(20, () => {
      visited++;
      return 20;
    });
    for (let i = 0; i < 20_000; i++) wheel.add(i);
    wheel.tick();
    expect(visited).toBe(1_000);
  });

  it('visits members that join during a round at most once in it, and every other member once', () => {
    const visits: number[] = [];
    const wheel = new HeartbeatWheel<number>(20, (member) => visits.push(member) && 20);
    for (const member of [1, 2, 3]) wheel.add(member);
    wheel.tick();
    wheel.add(4);
    wheel.delete(3);
    for (let tick = 1; tick < 20; tick++) wheel.tick();
    expect(visits).toEqual([1, 2, 4]);
  });

  it('visits a member at the tick its visit asked for, and never one removed by an earlier visit of the same tick', () => {
    const visits: Array<[string, number]> = [];
    let tick = 0;
    const wheel = new HeartbeatWheel<string>(8, (member) => {
      visits.push([member, tick]);
      if (member === 'a') wheel.delete('b');
      return member === 'a' ? 3 : 100;
    });
    wheel.add('a', 2);
    wheel.add('b', 2);
    wheel.add('c', 5);
    for (tick = 1; tick <= 11; tick++) wheel.tick();
    // 'a' every 3 ticks from tick 2; 'c' at 5, then a whole round later (100 is capped at 8).
    expect(visits).toEqual([
      ['a', 2],
      ['c', 5],
      ['a', 5],
      ['a', 8],
      ['a', 11],
    ]);
    expect([...wheel.members()].sort()).toEqual(['a', 'c']);
  });
});

describe('HeartbeatWheel.run', () => {
  it('ticks once per tickMs of the clock, runs the ticks a late timer owes, and counts anew after a jump or a step back', () => {
    // Time and timers on separate manual clocks, so a timer can fire late against the time.
    const time = manualClock(1_000);
    const timerTime = manualClock(0);
    let ticks = 0;
    const wheel = new HeartbeatWheel<string>(8, () => 1);
    const realTick = wheel.tick.bind(wheel);
    wheel.tick = () => {
      ticks++;
      realTick();
    };
    const stop = wheel.run(timerTime.timers, time, 10);
    /** The timer fires (10 ms after the last firing) when the clock reads `at`: the ticks so far. */
    const fireAt = (at: number) => {
      time.set(at);
      timerTime.advance(10);
      return ticks;
    };
    expect(fireAt(1_010)).toBe(1);
    // The timer fired 25 ms late: the three ticks that time covers run now.
    expect(fireAt(1_045)).toBe(4);
    // A suspended machine: at most one round (8 slots), then the count starts from here.
    expect(fireAt(901_045)).toBe(12);
    expect(fireAt(901_055)).toBe(13);
    // The clock stepped back: one tick per firing still, none skipped for the hour.
    expect(fireAt(500)).toBe(14);
    expect(fireAt(510)).toBe(15);
    stop();
    expect(fireAt(10_000)).toBe(15);
  });
});
