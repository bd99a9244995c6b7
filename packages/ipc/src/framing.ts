const NEWLINE = 0x0a;

export type FrameEvent = { kind: 'frame'; text: string } | { kind: 'oversized' };

/**
 * Splits a byte stream into newline-terminated frames with a hard size limit. An oversized
 * frame is reported as soon as it crosses the limit and then skipped up to its newline, so a
 * peer can never make the reader buffer more than `maxFrameBytes`, and later frames still parse.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.take(chunk.subarray(start, end))) events.push({ kind: 'oversized' });
      if (newline === -1) break;
      const event = this.finish();
      if (event) events.push(event);
      start = newline + 1;
    }
    return events;
  }

  /** Buffers part of the current frame; true when this part pushed the frame over the limit. */
  private take(part: Buffer): boolean {
    if (part.length === 0 || this.skipping) return false;
    if (this.pendingBytes + part.length > this.maxFrameBytes) {
      this.skipping = true;
      this.pending = [];
      this.pendingBytes = 0;
      return true;
    }
    this.pending.push(part);
    this.pendingBytes += part.length;
    return false;
  }

  private finish(): FrameEvent | undefined {
    if (this.skipping) {
      this.skipping = false;
      return undefined;
    }
    const text = Buffer.concat(this.pending, this.pendingBytes).toString('utf8').trim();
    this.pending = [];
    this.pendingBytes = 0;
    // Blank lines (a stray \r\n, keep-alive newlines) carry nothing.
    return text.length === 0 ? undefined : { kind: 'frame', text };
  }
}
