/**
 * Backpressure for one device connection on the server. Frames go straight to the transport
 * while its buffer is below the high-water mark; above it they wait here, and once more than
 * `maxQueuedBytes` wait the device is too slow and `onOverflow` ends its connection. Nothing
 * is lost that way: the store keeps every message until it is acked, and the device resumes
 * from its cursor. What is bounded is the memory one slow device can hold on the server.
 */
export interface FrameOutboxOptions {
  /** Above this many bytes in the transport's buffer, frames queue here. */
  highWaterMarkBytes: number;
  /** Above this many queued bytes the connection is given up. */
  maxQueuedBytes: number;
  write(frame: string): void;
  /** Bytes the transport has accepted but not yet handed to the network. */
  bufferedBytes(): number;
  onOverflow(): void;
}

export const FRAME_OUTBOX_DEFAULTS = {
  highWaterMarkBytes: 64 * 1024,
  maxQueuedBytes: 8 * 1024 * 1024,
} satisfies Partial<FrameOutboxOptions>;

export interface FrameOutbox {
  /** Writes or queues a frame; false once the connection is congested (the caller may slow down). */
  push(frame: string): boolean;
  /** The transport's buffer drained: write what waits. */
  drain(): void;
  readonly queuedBytes: number;
}

/**
 * One object per connection with its methods on the prototype, and its queue made only when a
 * frame has to wait: most devices are idle, and closures per connection would cost each of
 * them memory for nothing. `options` may be the connection itself.
 */
class QueueingFrameOutbox implements FrameOutbox {
  private queue: string[] | undefined;
  private head = 0;
  private queued = 0;
  private overflowed = false;

  constructor(private readonly options: FrameOutboxOptions) {}

  push(frame: string): boolean {
    if (this.overflowed) return false;
    if (this.queue === undefined && this.roomy()) {
      this.options.write(frame);
      return this.roomy();
    }
    this.queue ??= [];
    this.queue.push(frame);
    this.queued += frame.length;
    if (this.queued > this.options.maxQueuedBytes) {
      this.overflowed = true;
      this.reset();
      this.options.onOverflow();
    }
    return false;
  }

  drain(): void {
    const queue = this.queue;
    if (queue === undefined) return;
    while (this.head < queue.length && this.roomy()) {
      const frame = queue[this.head] as string;
      queue[this.head++] = '';
      this.queued -= frame.length;
      this.options.write(frame);
    }
    if (this.head === queue.length) this.reset();
  }

  get queuedBytes(): number {
    return this.queued;
  }

  private roomy(): boolean {
    return this.options.bufferedBytes() < this.options.highWaterMarkBytes;
  }

  private reset(): void {
    this.queue = undefined;
    this.head = 0;
    this.queued = 0;
  }
}

export function createFrameOutbox(options: FrameOutboxOptions): FrameOutbox {
  return new QueueingFrameOutbox(options);
}
