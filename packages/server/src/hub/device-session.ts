import type { BrokerEvent, Clock, DeviceSink, Store, StoredMessage } from '@fosspush/core';

export interface DeviceSessionOptions {
  setId: string;
  store: Store;
  sink: DeviceSink;
  clock: Clock;
  afterSeq: number;
  /** Messages written but not yet acknowledged, at most; more wait in the store. */
  maxUnacked: number;
  onDelivered(message: StoredMessage): void;
  onError(error: unknown): void;
}

/** How many queued messages one store read fetches while replaying. */
const REPLAY_PAGE = 100;

/**
 * Delivery to one connected device. The store is the truth: the session replays what is
 * queued after the device's cursor, then writes live messages as the broker announces them.
 * At most `maxUnacked` messages are on the wire unacknowledged; past that the session waits
 * for acks and reads the rest from the store, so a slow or silent device costs bounded memory.
 *
 * Live messages may be announced out of seq order (several nodes enqueue concurrently), so the
 * session remembers what it sent by id and re-reads the store from the lowest seq it could not
 * send, rather than trusting a single cursor.
 */
export class DeviceSessionState {
  private readonly unacked = new Map<string, { expiresAt: number; registrationId: string }>();
  private cursor: number;
  private rescanFrom: number | undefined;
  private replaying = false;
  private replayAgain = false;
  private caughtUp = false;
  private closed = false;

  constructor(private readonly options: DeviceSessionOptions) {
    this.cursor = options.afterSeq;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Replays queued messages; safe to call at any time, runs one replay at a time. */
  async replay(): Promise<void> {
    if (this.replaying) {
      this.replayAgain = true;
      return;
    }
    this.replaying = true;
    try {
      do {
        this.replayAgain = false;
        await this.replayOnce();
      } while (this.replayAgain && !this.closed);
    } catch (error) {
      this.options.onError(error);
    } finally {
      this.replaying = false;
    }
  }

  private async replayOnce(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      if (this.rescanFrom !== undefined) {
        this.cursor = Math.min(this.cursor, this.rescanFrom);
        this.rescanFrom = undefined;
      }
      const room = this.room();
      if (room <= 0) {
        this.caughtUp = false;
        return;
      }
      const limit = Math.min(room, REPLAY_PAGE);
      const page = await this.options.store.listMessages({ owner: this.options.setId, afterSeq: this.cursor, limit });
      for (const message of page) {
        if (this.closed) return;
        this.cursor = Math.max(this.cursor, message.seq);
        if (!this.unacked.has(message.id)) this.write(message);
      }
      if (page.length < limit) {
        this.caughtUp = true;
        return;
      }
    }
  }

  /** A broker event for this set, from any node. */
  onEvent(event: BrokerEvent): void {
    if (this.closed) return;
    switch (event.type) {
      case 'message':
        this.onLiveMessage(event.message);
        return;
      case 'ack':
        this.settle(event.messageId);
        return;
      case 'unsubscribed':
        for (const [id, entry] of this.unacked) if (entry.registrationId === event.registrationId) this.unacked.delete(id);
        this.resumeIfWaiting();
        return;
    }
  }

  private onLiveMessage(message: StoredMessage): void {
    if (this.unacked.has(message.id)) return;
    // TTL 0 is deliver-now-or-drop: it is never in a replay, so it is written now or never.
    if (message.ttlSeconds === 0) {
      if (this.room() > 0) this.write(message);
      return;
    }
    if (this.replaying || !this.caughtUp || this.room() <= 0) {
      this.rescanFrom = Math.min(this.rescanFrom ?? Number.POSITIVE_INFINITY, message.seq - 1);
      if (this.replaying) this.replayAgain = true;
      return;
    }
    this.cursor = Math.max(this.cursor, message.seq);
    this.write(message);
  }

  /** The registration of a message this session sent and awaits an ack for. */
  registrationOf(messageId: string): string | undefined {
    return this.unacked.get(messageId)?.registrationId;
  }

  /** The device (or anyone holding the message URL) acknowledged it: free its slot. */
  settle(messageId: string): void {
    if (this.unacked.delete(messageId)) this.resumeIfWaiting();
  }

  close(): void {
    this.closed = true;
    this.unacked.clear();
  }

  private resumeIfWaiting(): void {
    if (!this.closed && (!this.caughtUp || this.rescanFrom !== undefined)) void this.replay();
  }

  private room(): number {
    if (this.unacked.size >= this.options.maxUnacked) {
      // Messages whose TTL ran out will never be acked: they must not hold the window shut.
      const now = this.options.clock.now();
      for (const [id, entry] of this.unacked) if (entry.expiresAt <= now) this.unacked.delete(id);
    }
    return this.options.maxUnacked - this.unacked.size;
  }

  private write(message: StoredMessage): void {
    this.unacked.set(message.id, { expiresAt: message.expiresAt, registrationId: message.registrationId });
    this.options.sink.send(message);
    this.options.onDelivered(message);
  }
}
