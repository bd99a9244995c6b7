import { describe, expect, it } from 'vitest';
import { FrameDecoder } from './framing.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('FrameDecoder', () => {
  it('joins frames split across chunks and splits chunks holding several frames', () => {
    const decoder = new FrameDecoder(100);
    expect(decoder.push(bytes('{"a":'))).toEqual([]);
    expect(decoder.push(bytes('1}\n{"b":2}\n{"c"'))).toEqual([
      { kind: 'frame', text: '{"a":1}' },
      { kind: 'frame', text: '{"b":2}' },
    ]);
    expect(decoder.push(bytes(':3}\n'))).toEqual([{ kind: 'frame', text: '{"c":3}' }]);
  });

  it('skips blank lines and carriage returns', () => {
    const decoder = new FrameDecoder(100);
    expect(decoder.push(bytes('\n\r\n{"a":1}\r\n'))).toEqual([{ kind: 'frame', text: '{"a":1}' }]);
  });

  it('reports an oversized frame once, never buffers it, and parses the frames after it', () => {
    const decoder = new FrameDecoder(10);
    expect(decoder.push(bytes('x'.repeat(8)))).toEqual([]);
    expect(decoder.push(bytes('x'.repeat(8)))).toEqual([{ kind: 'oversized' }]);
    expect(decoder.push(bytes('x'.repeat(10_000)))).toEqual([]);
    expect(decoder.push(bytes('xx\n{"ok":1}\n'))).toEqual([{ kind: 'frame', text: '{"ok":1}' }]);
  });

  it('accepts a frame of exactly the limit', () => {
    const decoder = new FrameDecoder(7);
    expect(decoder.push(bytes('{"a":1}\n'))).toEqual([{ kind: 'frame', text: '{"a":1}' }]);
  });
});
