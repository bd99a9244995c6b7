import { describe, expect, it } from 'vitest';
import { createFrameOutbox } from './frame-outbox.js';

function transport() {
  const written: string[] = [];
  let buffered = 0;
  let overflows = 0;
  return {
    written,
    flush() {
      buffered = 0;
    },
    get overflows() {
      return overflows;
    },
    options: {
      highWaterMarkBytes: 10,
      maxQueuedBytes: 20,
      write(frame: string) {
        written.push(frame);
        buffered += frame.length;
      },
      bufferedBytes: () => buffered,
      onOverflow() {
        overflows++;
      },
    },
  };
}

describe('frame outbox', () => {
  it('writes through below the high-water mark and queues above it, in order', () => {
    const t = transport();
    const outbox = createFrameOutbox(t.options);
    expect(outbox.push('aaaa')).toBe(true);
    expect(outbox.push('bbbbbbb')).toBe(false);
    expect(outbox.push('cc')).toBe(false);
    expect(t.written).toEqual(['aaaa', 'bbbbbbb']);
    expect(outbox.queuedBytes).toBe(2);
    t.flush();
    outbox.drain();
    expect(t.written).toEqual(['aaaa', 'bbbbbbb', 'cc']);
    expect(outbox.queuedBytes).toBe(0);
    expect(outbox.push('d')).toBe(true);
  });

  it('gives the connection up once the queue passes its bound, and accepts nothing after', () => {
    const t = transport();
    const outbox = createFrameOutbox(t.options);
    outbox.push('x'.repeat(12));
    outbox.push('y'.repeat(15));
    expect(t.overflows).toBe(0);
    outbox.push('z'.repeat(6));
    expect(t.overflows).toBe(1);
    expect(outbox.queuedBytes).toBe(0);
    t.flush();
    expect(outbox.push('w')).toBe(false);
    outbox.drain();
    expect(t.written).toEqual(['x'.repeat(12)]);
  });
});
