import { describe, expect, it } from 'vitest';
import { createDropCounter } from './channel-support.js';
import { manualClock } from './runtime.js';

describe('createDropCounter', () => {
  it('counts every drop, and reports each reason at most once an interval with the running count', () => {
    const clock = manualClock(0);
    const reports: string[] = [];
    const drops = createDropCounter(['flood', 'garbage'], clock, (reason, count, context: string) => reports.push(`${reason} ${count} ${context}`), 1000);
    drops.drop('flood', 'a');
    drops.drop('flood', 'b');
    drops.drop('garbage', 'c');
    clock.advance(999);
    drops.drop('flood', 'd');
    clock.advance(1);
    drops.drop('flood', 'e');
    expect(drops.counts).toEqual({ flood: 4, garbage: 1 });
    expect(reports).toEqual(['flood 1 a', 'garbage 1 c', 'flood 4 e']);
  });
});
