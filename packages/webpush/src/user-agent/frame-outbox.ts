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

export function createFrameOutbox(options: FrameOutboxOptions): FrameOutbox {
  const queue: string[] = [];
  let head = 0;
  let queuedBytes = 0;
  let overflowed = false;
  const roomy = () => options.bufferedBytes() < options.highWaterMarkBytes;

  return {
    push(frame) {
      if (overflowed) return false;
      if (head === queue.length && roomy()) {
        options.write(frame);
        return roomy();
      }
      queue.push(frame);
      queuedBytes += frame.length;
      if (queuedBytes > options.maxQueuedBytes) {
        overflowed = true;
        queue.length = 0;
        head = 0;
        queuedBytes = 0;
        options.onOverflow();
      }
      return false;
    },
    drain() {
      while (head < queue.length && roomy()) {
        const frame = queue[head] as string;
        queue[head++] = '';
        queuedBytes -= frame.length;
        options.write(frame);
      }
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
      }
    },
    get queuedBytes() {
      return queuedBytes;
    },
  };
}
