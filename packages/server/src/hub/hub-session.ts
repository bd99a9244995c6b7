import type { BrokerEvent, Clock, DeviceSession, DeviceSink, Store, StoredMessage } from '@fosspush/core';

/** What every session of one hub shares: one object per hub, not per connection. */
export interface HubContext {
  store: Store;
  clock: Clock;
  /** Messages written but not yet acknowledged, at most; more wait in the store. */
  maxUnacked: number;
  sessions: Set<HubSession>;
  /** Removes an acknowledged message and tells the other nodes. */
  settle(messageId: string, owner: string, registrationId: string): Promise<unknown>;
  onDelivered(message: StoredMessage): void;
  onError(error: unknown, setId: string): void;
}

/** How many queued messages one store read fetches while replaying. */
const REPLAY_PAGE = 100;

interface Unacked {
  expiresAt: number;
  registrationId: string;
}

/**
 * Delivery to one connected device. The store is the truth: the session replays what is
 * queued after the device's cursor, then writes live messages as the broker announces them.
 * At most `maxUnacked` messages are on the wire unacknowledged; past that the session waits
 * for acks and reads the rest from the store, so a slow or silent device costs bounded memory.
 *
 * Live messages may be announced out of seq order (several nodes enqueue concurrently), so the
 * session remembers what it sent by id and re-reads the store from the lowest seq it could not
 * send, rather than trusting a single cursor.
 *
 * Idle devices are most of a push server's connections, so a session is one object with
 * methods on its prototype, and its unacked map is created on the first write.
 */
export class HubSession implements DeviceSession {
  private unacked: Map<string, Unacked> | undefined;
  private rescanFrom: number | undefined;
  private replaying = false;
  private replayAgain = false;
  private caughtUp = false;
  private closed = false;
  /** When the set's deadline was last renewed for this stream (a long stream renews it daily). */
  touchedAt = 0;
  /** Ends the broker subscription; set once it is active. */
  stop: (() => Promise<void>) | undefined;

  constructor(
    private readonly hub: HubContext,
    readonly setId: string,
    private readonly sink: DeviceSink,
    private cursor: number,
  ) {}

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
      this.hub.onError(error, this.setId);
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
      const page = await this.hub.store.listMessages({ owner: this.setId, afterSeq: this.cursor, limit });
      for (const message of page) {
        if (this.closed) return;
        this.cursor = Math.max(this.cursor, message.seq);
        if (!this.unacked?.has(message.id)) this.write(message);
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
        this.forget(event.messageId);
        return;
      case 'unsubscribed':
        if (this.unacked) for (const [id, entry] of this.unacked) if (entry.registrationId === event.registrationId) this.unacked.delete(id);
        this.resumeIfWaiting();
        return;
    }
  }

  private onLiveMessage(message: StoredMessage): void {
    if (this.unacked?.has(message.id)) return;
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

  /** The device confirmed a message: remove it, unless it belongs to another set. */
  async ack(messageId: string): Promise<void> {
    if (this.closed) return;
    let registrationId = this.unacked?.get(messageId)?.registrationId;
    if (registrationId === undefined) {
      // A message this stream did not send must belong to the set before it may be acked.
      const message = await this.hub.store.getMessage(messageId);
      if (!message || message.owner !== this.setId) return;
      registrationId = message.registrationId;
    }
    this.forget(messageId);
    await this.hub.settle(messageId, this.setId, registrationId);
  }

  /** The connection is gone; what it did not ack stays queued. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unacked = undefined;
    this.hub.sessions.delete(this);
    this.stop?.().catch((error: unknown) => this.hub.onError(error, this.setId));
  }

  /** Ends the stream from the service side. */
  shutdown(reason: string): void {
    this.close();
    this.sink.close(reason);
  }

  private forget(messageId: string): void {
    if (this.unacked?.delete(messageId)) this.resumeIfWaiting();
  }

  private resumeIfWaiting(): void {
    if (!this.closed && (!this.caughtUp || this.rescanFrom !== undefined)) void this.replay();
  }

  private room(): number {
    const unacked = this.unacked;
    if (!unacked) return this.hub.maxUnacked;
    if (unacked.size >= this.hub.maxUnacked) {
      // Messages whose TTL ran out will never be acked: they must not hold the window shut.
      const now = this.hub.clock.now();
      for (const [id, entry] of unacked) if (entry.expiresAt <= now) unacked.delete(id);
    }
    return this.hub.maxUnacked - unacked.size;
  }

  private write(message: StoredMessage): void {
    this.unacked ??= new Map();
    this.unacked.set(message.id, { expiresAt: message.expiresAt, registrationId: message.registrationId });
    this.sink.send(message);
    this.hub.onDelivered(message);
  }
}
