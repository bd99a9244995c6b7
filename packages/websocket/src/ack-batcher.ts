import { encodeAckFrame } from '@fosspush/webpush/user-agent';

/** Sends one ack frame; `done` says whether the socket took it. */
export type AckFrameSender = (frame: string, done: (sent: boolean) => void) => void;

export interface AckBatcher {
  /** Queues an ack; resolves with whether its frame was sent. */
  ack(messageId: string): Promise<boolean>;
  /** The server's `ready` allows this many ids in one frame. */
  allow(maxIds: number): void;
}

interface PendingAck {
  id: string;
  resolve(sent: boolean): void;
}

/**
 * Acks made in the same turn of the event loop (a device storing a burst of messages) go out
 * together: one frame of up to `maxIds` ids instead of one frame each, which is one frame for
 * the server to read, parse and dispatch instead of many. Until the server allows more, every
 * ack is its own single-id frame, as the first version of the wire has it.
 */
export function createAckBatcher(send: AckFrameSender): AckBatcher {
  let maxIds = 1;
  let pending: PendingAck[] = [];

  const flush = () => {
    const batch = pending;
    pending = [];
    for (let start = 0; start < batch.length; start += maxIds) {
      const chunk = batch.slice(start, start + maxIds);
      send(
        encodeAckFrame(chunk.map((entry) => entry.id)),
        (sent) => {
          for (const entry of chunk) entry.resolve(sent);
        },
      );
    }
  };

  return {
    ack(messageId) {
      return new Promise((resolve) => {
        if (pending.push({ id: messageId, resolve }) === 1) queueMicrotask(flush);
      });
    },
    allow(count) {
      maxIds = Math.max(1, Math.floor(count));
    },
  };
}
