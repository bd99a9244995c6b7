import { describe, expect, it } from 'vitest';
import { createJsonLogger } from './log.js';
import { manualClock } from './runtime.js';

describe('createJsonLogger', () => {
  it('stamps each line with the injected clock and drops levels below the threshold', () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'info', write: (line) => lines.push(line), runtime: { clock: manualClock(Date.UTC(2026, 0, 2, 3, 4, 5)) } });
    logger.debug('too_quiet');
    logger.warn('account_trouble', { account: 'a', error: new Error('boom') });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { time: '2026-01-02T03:04:05.000Z', level: 'warn', event: 'account_trouble', account: 'a', error: { name: 'Error', message: 'boom' } },
    ]);
  });
});
