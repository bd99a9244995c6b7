import { type ChannelStateStore, type Clock, FosspushError, type Timers } from '@fosspush/core';
import type { ServerFrame } from '../device-wire/device-frames.js';

/**
 * The device's side of liveness on wire version 2 (docs/device-wire.md section 6): how long
 * an idle stream stays quiet before the device proves it alive, learned per account from what
 * the network lets through. Each heartbeat wakes the radio, so the interval is as long as the
 * path's NAT and proxies allow and no longer, the way FCM and the Signal and WhatsApp clients
 * size theirs: start safe, lengthen while heartbeats survive, shorten when one does not.
 */
export interface KeepaliveOptions {
  /** The first interval, on a network nothing is known about yet. @default 120_000 */
  initialIntervalMs: number;
  /** The shortest interval backing off goes down to. @default 30_000 */
  minIntervalMs: number;
  /** The longest interval tried; the server's announced `maxHeartbeatMs` caps it too. @default 1_680_000 */
  maxIntervalMs: number;
  /** How long the answer to a heartbeat may take: a WebSocket pong, an SSE comment past its cadence. @default 10_000 */
  answerTimeoutMs: number;
  /** Heartbeats that must survive at one interval before a longer one is tried. @default 2 */
  successesBeforeGrowing: number;
}

export const KEEPALIVE_DEFAULTS = {
  // RFC 4787's floor for NAT mapping timeouts (2 min): what nearly every path keeps, and at
  // most 30 wakeups an hour while the device learns.
  initialIntervalMs: 120_000,
  // ntfy keeps 45 s, Signal's foreground socket 30 s: a network that needs less is broken.
  minIntervalMs: 30_000,
  // FCM's heartbeat on mobile networks.
  maxIntervalMs: 1_680_000,
  // A mobile radio takes up to ~2 s to wake, a loaded server a little more.
  answerTimeoutMs: 10_000,
  // One survivor could be luck (traffic refreshed the mapping); two rarely are.
  successesBeforeGrowing: 2,
} satisfies KeepaliveOptions;

/** The search between the longest proven and the shortest failed interval stops this close. */
const RESOLUTION_FRACTION = 0.15;
const RESOLUTION_MIN_MS = 60_000;
/** The longest interval tried below one that failed, as a fraction of it. */
const CEILING_MARGIN = 0.9;
/**
 * After this many heartbeats at a settled interval, the failed interval is doubled and probed
 * again: a failure may have been a passing fault, or the network may have changed.
 */
const REPROBE_AFTER_SUCCESSES = 48;

/** What the device remembers per account. */
export interface LearnedInterval {
  /** The interval heartbeats go at now. */
  intervalMs: number;
  /** The longest quiet period a heartbeat survived. */
  goodMs: number | undefined;
  /** The shortest quiet period that killed the connection. */
  ceilingMs: number | undefined;
}

/**
 * The learning, without timers: the caller reports each survived quiet period and each one
 * that killed the connection.
 */
export class AdaptiveInterval {
  private learned: LearnedInterval;
  private successes = 0;
  private settledSuccesses = 0;
  private capMs: number;

  constructor(
    private readonly options: KeepaliveOptions,
    learned?: LearnedInterval,
  ) {
    this.capMs = options.maxIntervalMs;
    this.learned = learned ?? { intervalMs: options.initialIntervalMs, goodMs: undefined, ceilingMs: undefined };
  }

  /** The interval to use now, within [minIntervalMs, the cap]. */
  get intervalMs(): number {
    return Math.max(this.options.minIntervalMs, Math.min(this.learned.intervalMs, this.capMs));
  }

  get snapshot(): LearnedInterval {
    return { ...this.learned };
  }

  /** The server announced the longest interval it accepts. */
  capAt(serverMaxMs: number | undefined): void {
    this.capMs = Math.min(this.options.maxIntervalMs, serverMaxMs ?? Number.POSITIVE_INFINITY);
  }

  /** A heartbeat after `quietMs` of silence was answered. Returns whether the interval changed. */
  succeeded(quietMs: number): boolean {
    const learned = this.learned;
    // An interval that survived before (the one a failure fell back to) needs one more
    // survival to move on; a new one needs `successesBeforeGrowing`.
    const provenBefore = learned.goodMs !== undefined && learned.goodMs >= this.intervalMs;
    learned.goodMs = Math.max(learned.goodMs ?? 0, quietMs);
    // Only a quiet period as long as the interval tests it (traffic cuts the others short).
    if (quietMs < 0.9 * this.intervalMs) return false;
    if (++this.successes < (provenBefore ? 1 : this.options.successesBeforeGrowing)) return false;
    this.successes = 0;
    const before = this.intervalMs;
    const next = this.nextLonger(learned.goodMs, learned.ceilingMs);
    if (next === undefined) {
      if (++this.settledSuccesses >= REPROBE_AFTER_SUCCESSES && learned.ceilingMs !== undefined) {
        this.settledSuccesses = 0;
        learned.ceilingMs *= 2;
      }
      return false;
    }
    learned.intervalMs = next;
    return this.intervalMs !== before;
  }

  /** The connection died after `quietMs` of silence. Returns true: there is something to store. */
  failed(quietMs: number): boolean {
    const learned = this.learned;
    learned.ceilingMs = Math.min(learned.ceilingMs ?? Number.POSITIVE_INFINITY, quietMs);
    // What was proven no longer holds: the network changed, or the proof was luck.
    if (learned.goodMs !== undefined && learned.goodMs >= learned.ceilingMs) learned.goodMs = undefined;
    learned.intervalMs = Math.max(this.options.minIntervalMs, learned.goodMs ?? Math.floor(learned.ceilingMs / 2));
    this.successes = 0;
    this.settledSuccesses = 0;
    return true;
  }

  /** Doubling until something fails, then halving the gap; undefined once the gap is small. */
  private nextLonger(goodMs: number, ceilingMs: number | undefined): number | undefined {
    if (this.intervalMs >= this.capMs) return undefined;
    if (ceilingMs === undefined) return Math.min(this.capMs, 2 * goodMs);
    const gap = ceilingMs - goodMs;
    if (gap <= Math.max(RESOLUTION_MIN_MS, RESOLUTION_FRACTION * ceilingMs)) return undefined;
    // Never right at the edge: NAT timers and the device's own are not exact.
    const next = Math.min(this.capMs, Math.round(goodMs + gap / 2), Math.floor(CEILING_MARGIN * ceilingMs));
    return next > goodMs ? next : undefined;
  }
}

const STATE_KEY = 'keepalive';

function parseLearned(text: string | undefined, options: KeepaliveOptions): LearnedInterval | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as Partial<Record<keyof LearnedInterval, unknown>>;
    const positive = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
    return { intervalMs: positive(value.intervalMs) ?? options.initialIntervalMs, goodMs: positive(value.goodMs), ceilingMs: positive(value.ceilingMs) };
  } catch {
    // A damaged record costs one relearning, nothing more.
    return undefined;
  }
}

/** Reads the interval learned on an earlier run from the channel's state store. */
export async function loadAdaptiveInterval(state: ChannelStateStore, options: KeepaliveOptions): Promise<AdaptiveInterval> {
  return new AdaptiveInterval(options, parseLearned(await state.get(STATE_KEY), options));
}

export async function saveAdaptiveInterval(state: ChannelStateStore, interval: AdaptiveInterval): Promise<void> {
  await state.set(STATE_KEY, JSON.stringify(interval.snapshot));
}

/** What a stream's liveness needs from the channel and its transport. */
export interface StreamLivenessHooks {
  /** Sends a heartbeat the server answers (a WebSocket ping). */
  ping(): void;
  /** The stream is dead: close it and reconnect. */
  dead(error: FosspushError): void;
  /** The learned interval changed: a stream that asked for a cadence (SSE) should reopen with the new one. */
  renegotiate(): void;
  /** The learned interval changed: store it. */
  learned(): void;
}

/**
 * True when a stream ended the way a NAT or proxy timeout ends it (the transport marks the
 * error with `details.connectionLost`), not with a close the server chose.
 */
export function isConnectionLoss(error: FosspushError): boolean {
  return (error.details as { connectionLost?: unknown } | undefined)?.connectionLost === true;
}

type Mode =
  | { kind: 'connecting' }
  /** Wire version 1: the server's heartbeat, watched for at least twice its interval. */
  | { kind: 'server-driven'; timeoutMs: number }
  /** Version 2 over WebSocket: quiet for the interval, then a ping, then its answer. */
  | { kind: 'device-ping' }
  /** Version 2 over SSE: comments at the cadence the device asked for. */
  | { kind: 'asked-cadence'; cadenceMs: number };

/**
 * One stream's liveness. Before `ready` a timeout bounds the connect; after it, the mode the
 * server's `ready` allows. A dead stream is noticed at most one interval plus the answer
 * timeout after the last thing heard.
 */
export class StreamLiveness {
  private mode: Mode = { kind: 'connecting' };
  private lastHeardAt: number;
  private timer: unknown;
  /** The quiet period a ping now in flight is testing. */
  private probingQuietMs: number | undefined;
  private stopped = false;

  constructor(
    private readonly interval: AdaptiveInterval,
    private readonly options: KeepaliveOptions & { legacyTimeoutMs: number },
    private readonly clock: Clock,
    private readonly timers: Timers,
    private readonly hooks: StreamLivenessHooks,
  ) {
    this.lastHeardAt = clock.now();
    this.arm(options.legacyTimeoutMs, () => this.die(`the push service did not open the stream within ${options.legacyTimeoutMs} ms`));
  }

  /** The cadence to ask an SSE server for. */
  get askedHeartbeatMs(): number {
    return this.interval.intervalMs;
  }

  /** `canPing`: the transport can write heartbeats (WebSocket), so the device drives them. */
  ready(frame: Extract<ServerFrame, { type: 'ready' }>, canPing: boolean): void {
    if (frame.maxHeartbeatMs === undefined) {
      const timeoutMs = Math.max(this.options.legacyTimeoutMs, 2 * (frame.heartbeatMs ?? 0));
      this.mode = { kind: 'server-driven', timeoutMs };
    } else {
      this.interval.capAt(frame.maxHeartbeatMs);
      this.mode =
        canPing || frame.heartbeatMs === undefined
          ? { kind: 'device-ping' }
          : { kind: 'asked-cadence', cadenceMs: frame.heartbeatMs };
    }
    this.heard();
  }

  /** Anything arrived on the stream. */
  heard(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const quietMs = now - this.lastHeardAt;
    this.lastHeardAt = now;
    const mode = this.mode;
    switch (mode.kind) {
      case 'connecting':
        return;
      case 'server-driven':
        this.arm(mode.timeoutMs, () => this.die(`no heartbeat from the push service for ${mode.timeoutMs} ms`));
        return;
      case 'device-ping': {
        const probed = this.probingQuietMs;
        this.probingQuietMs = undefined;
        if (probed !== undefined) this.learn(this.interval.succeeded(probed));
        this.arm(this.interval.intervalMs, () => this.probe());
        return;
      }
      case 'asked-cadence': {
        // A comment after a full cadence of silence proves the cadence; the server writes it
        // up to a twentieth early.
        if (quietMs >= 0.9 * mode.cadenceMs && this.learn(this.interval.succeeded(quietMs)) && this.interval.intervalMs !== mode.cadenceMs) {
          this.hooks.renegotiate();
          return;
        }
        const timeoutMs = mode.cadenceMs + this.options.answerTimeoutMs;
        this.arm(timeoutMs, () => {
          this.learn(this.interval.failed(mode.cadenceMs));
          this.die(`no heartbeat from the push service for ${timeoutMs} ms`);
        });
        return;
      }
    }
  }

  /**
   * The stream ended without the channel asking. A NAT or proxy timeout shows as a connection
   * lost after a quiet period longer than any that was proven safe: learn from it.
   */
  lost(error: FosspushError): void {
    if (this.stopped) return;
    const quietMs = this.probingQuietMs ?? this.clock.now() - this.lastHeardAt;
    const timedOut = this.probingQuietMs !== undefined || (isConnectionLoss(error) && quietMs > (this.interval.snapshot.goodMs ?? 0));
    if (this.mode.kind !== 'connecting' && this.mode.kind !== 'server-driven' && timedOut && quietMs >= this.options.minIntervalMs / 2) {
      this.learn(this.interval.failed(quietMs));
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private probe(): void {
    this.probingQuietMs = this.clock.now() - this.lastHeardAt;
    this.hooks.ping();
    this.arm(this.options.answerTimeoutMs, () => {
      const quietMs = this.probingQuietMs ?? 0;
      this.learn(this.interval.failed(quietMs));
      this.die(`no answer to a heartbeat within ${this.options.answerTimeoutMs} ms, after ${quietMs} ms of quiet`);
    });
  }

  private learn(changed: boolean): boolean {
    if (changed) this.hooks.learned();
    return changed;
  }

  private arm(delayMs: number, fire: () => void): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped) fire();
    }, delayMs);
  }

  private die(message: string): void {
    this.stop();
    this.hooks.dead(new FosspushError('TIMEOUT', message));
  }
}
