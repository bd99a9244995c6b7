import { describe, expect, it } from 'vitest';
import { LineSplitter } from './line-splitter.js';

function split(chunks: string[], max = 10) {
  const lines: string[] = [];
  let oversized = 0;
  const splitter = new LineSplitter(max, (line) => lines.push(line), () => oversized++);
  for (const chunk of chunks) splitter.push(new TextEncoder().encode(chunk));
  return { lines, oversized };
}

describe('LineSplitter', () => {
  it('joins lines split across chunks and skips blank ones', () => {
    expect(split(['{"a"', ':1}\n\n{"b":2', '}\n'])).toEqual({ lines: ['{"a":1}', '{"b":2}'], oversized: 0 });
  });

  it('skips a line longer than the limit once, without buffering it, and goes on', () => {
    expect(split(['0123456', '789abcdef', 'ghij', 'klm\nok\n'])).toEqual({ lines: ['ok'], oversized: 1 });
    expect(split(['0123456789abc\nok\n'])).toEqual({ lines: ['ok'], oversized: 1 });
  });
});
