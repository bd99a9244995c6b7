/**
 * Splits a byte stream into lines without ever buffering more than `maxLineLength` characters: a longer line
 * is skipped to its end and reported once, so a hostile proxy or value cannot grow our memory.
 */
export class LineSplitter {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private skipping = false;

  constructor(
    private readonly maxLineLength: number,
    private readonly onLine: (line: string) => void,
    private readonly onOversized: () => void,
  ) {}

  push(chunk: Uint8Array): void {
    let text = this.decoder.decode(chunk, { stream: true });
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n')) {
      const tail = text.slice(0, newline);
      text = text.slice(newline + 1);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      const line = this.pending + tail;
      this.pending = '';
      if (line.length > this.maxLineLength) this.onOversized();
      else if (line.trim() !== '') this.onLine(line);
    }
    if (this.skipping) return;
    this.pending += text;
    if (this.pending.length > this.maxLineLength) {
      this.pending = '';
      this.skipping = true;
      this.onOversized();
    }
  }
}
