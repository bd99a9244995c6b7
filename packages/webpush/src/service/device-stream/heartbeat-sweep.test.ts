import { describe, expect, it } from 'vitest';
import { SlicedSweep } from './heartbeat-sweep.js';

describe('SlicedSweep', () => {
  it.each([1, 19, 20, 21, 20_000])('visits each of %i members exactly once per round, over several rounds', (size) => {
    const members = new Set(Array.from({ length: size }, (_, i) => i));
    const visits = new Map<number, number>();
    const sweep = new SlicedSweep(members, 20, (member) => visits.set(member, (visits.get(member) ?? 0) + 1));
    const rounds = 4;
    const counts: number[][] = [];
    for (let round = 0; round < rounds; round++) {
      for (let tick = 0; tick < 20; tick++) sweep.tick();
      counts.push([...members].map((member) => visits.get(member) ?? 0));
    }
    for (let round = 0; round < rounds; round++) expect(new Set(counts[round])).toEqual(new Set([round + 1]));
  });

  it('spreads a round over its ticks instead of one long pass', () => {
    const members = new Set(Array.from({ length: 20_000 }, (_, i) => i));
    let visited = 0;
    const sweep = new SlicedSweep(members, 20, () => visited++);
    sweep.tick();
    expect(visited).toBe(1_000);
  });

  it('visits members that join during a round at most once in it, and every other member once', () => {
    const members = new Set([1, 2, 3]);
    const visits: number[] = [];
    const sweep = new SlicedSweep(members, 20, (member) => visits.push(member));
    sweep.tick();
    members.add(4);
    members.delete(3);
    for (let tick = 1; tick < 20; tick++) sweep.tick();
    expect(visits).toEqual([1, 2, 4]);
  });
});
