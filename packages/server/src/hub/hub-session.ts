import { type BrokerEvent, type Clock, type DeviceSession, type DeviceSink, isPending, type Store, type StoredMessage } from '@fosspush/core';

/** What every session of one hub shares: one object per hub, not per connection. */
export interface HubContext {
  store: Store;
  clock: Clock;
  /** Messages written but not yet acknowledged, at most; more wait in the store. */
  maxUnacked: number;
  sessions: Set<HubSession>;
  /** Removes an acknowledged message and tells the other nodes. */
  settle(messageId: string, owner: string, registrationId: string): boolean | Promise<boolean>;
  onDelivered(message: StoredMessage): void;
  onError(error: unknown, setId: string): void;
}

/** What an ack that needed no waiting returns: one promise for all of them. */
const SETTLED = Promise.resolve();
const nothing = () => undefined;

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
 * Live messages may be announced out of seq order (several nodes enqueue concurrently): node B
 * can announce seq 101 before node A announces seq 100. A device resumes after the highest seq
 * it was sent, so had it been sent 101 and left before 100 arrived, it would never get 100.
 * The session therefore keeps `confirmed`, the highest seq up to which it has read the store
 * in order (the store assigns seq and stores atomically, so an in-order read leaves no gap
 * behind it), and a live message carries that as its resume cursor rather than its own seq.
 * Replays read from `confirmed` and skip what is already on the wire, by id.
 *
 * Idle devices are most of a push server's connections, so a session is one object with
 * methods on its prototype, and its unacked map is created on the first write.
 */
export class HubSession implements DeviceSession {
  private unacked: Map<string, Unacked> | undefined;
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
    /** Every message of the set up to this seq was written to this stream, or acked before. */
    private confirmed: number,
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
    let from = this.confirmed;
    for (;;) {
      if (this.closed) return;
      const room = this.room();
      if (room <= 0) {
        this.caughtUp = false;
        return;
      }
      const limit = Math.min(room, REPLAY_PAGE);
      const page = await this.hub.store.listMessages({ owner: this.setId, afterSeq: from, limit });
      let written = 0;
      for (const message of page) {
        if (this.closed) return;
        from = message.seq;
        this.confirmed = Math.max(this.confirmed, message.seq);
        if (!this.unacked?.has(message.id)) {
          this.write(message);
          written++;
        }
      }
      if (page.length < limit) {
        this.caughtUp = true;
        return;
      }
      // A page of messages already on the wire and unacked: the window is what stops us.
      if (written === 0 && this.room() <= 0) {
        this.caughtUp = false;
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
    if (this.replaying) {
      this.replayAgain = true;
      return;
    }
    const room = this.room();
    if (this.caughtUp && this.confirmed > 0 && room > 0) {
      this.write(message);
      return;
    }
    // Read it from the store in order instead: now if the window has room, else on the next
    // ack. (With no cursor yet, `confirmed` 0, there is no safe cursor to send it with: the
    // read delivers it in order and gives the stream its first.)
    this.caughtUp = false;
    if (room > 0) void this.replay();
  }

  /**
   * The device confirmed a message: remove it, unless it belongs to another set. A message this
   * stream sent is settled at once, without a promise of its own where the store and broker
   * have a synchronous path; one it did not send is looked up first.
   */
  ack(messageId: string): Promise<void> {
    if (this.closed) return SETTLED;
    const registrationId = this.unacked?.get(messageId)?.registrationId;
    if (registrationId === undefined) return this.ackUnsent(messageId);
    this.forget(messageId);
    try {
      const settled = this.hub.settle(messageId, this.setId, registrationId);
      return isPending(settled) ? Promise.resolve(settled).then(nothing) : SETTLED;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private async ackUnsent(messageId: string): Promise<void> {
    const message = await this.hub.store.getMessage(messageId);
    if (!message || message.owner !== this.setId) return;
    this.forget(messageId);
    await this.hub.settle(messageId, this.setId, message.registrationId);
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
    if (!this.closed && !this.caughtUp) void this.replay();
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

  /**
   * Sends a message with the resume cursor `confirmed` allows: its own seq only when the store
   * was read in order up to it. (A TTL-0 message before any cursor exists keeps its own: it is
   * never stored, so no read could place it.)
   */
  private write(message: StoredMessage): void {
    this.unacked ??= new Map();
    this.unacked.set(message.id, { expiresAt: message.expiresAt, registrationId: message.registrationId });
    const inOrder = message.seq <= this.confirmed || this.confirmed === 0;
    this.sink.send(message, inOrder ? undefined : this.confirmed);
    this.hub.onDelivered(message);
  }
}
