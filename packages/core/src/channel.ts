import type { Emitter } from './emitter.js';
import type { FosspushError } from './errors.js';
import type { PushMessage } from './message.js';
import type { Runtime } from './runtime.js';
import type { TokenChannel } from './token.js';

/**
 * Where a channel's connection stands (`createChannelLifecycle` moves it; see there for every
 * transition):
 * - `idle`: `connect()` has not been called;
 * - `connecting`, `reconnecting`: a connection is being opened, or a retry waits (after a drop);
 * - `connected`: ready, or nothing to connect for yet (a push-server channel with no subscription);
 * - `failed`: an error no retry will fix (a refused login, a permanent refusal): the channel
 *   stopped trying, `failure` says why, and a person must act before `connect()` can succeed;
 * - `closed`: `close()` was called, or the far side ended the channel (a forgotten subscription
 *   set); `connect()` starts again.
 */
export type ChannelState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'closed';

export interface SubscribeRequest {
  /** Re-subscribes an existing registration (after a restart) instead of creating one. */
  registrationId?: string;
  /** RFC 8292: restrict the subscription to pushes signed with this VAPID public key. */
  vapidPublicKey?: string;
}

/** What the channel needs the token to carry so a sender can reach this registration. */
export interface ChannelSubscription {
  registrationId: string;
  /** The push resource or mailto: endpoint for the token. */
  endpoint: string;
  /** Channel-specific token fields. */
  extras: Record<string, string>;
  /** The wire a sender uses for this token. @default 'email' for a mailto: endpoint, else 'webpush' */
  tokenChannel?: TokenChannel;
}

export interface ChannelMessageEvent {
  registrationId: string;
  message: PushMessage;
}

export interface ChannelEvents extends Record<string, unknown> {
  message: ChannelMessageEvent;
  state: ChannelState;
  /** Non-fatal trouble (a rejected forged message, a dropped connection being retried). */
  error: FosspushError;
  /**
   * A registration's endpoint or extras changed on the channel's own initiative, mid-run (it
   * renewed an endpoint before the far side expired it). The host stores the new subscription
   * and gives the app its new token, as FCM's `onNewToken`; the old endpoint keeps working
   * until it expires, so senders have time to learn the new one.
   */
  subscriptionChanged: ChannelSubscription;
}

/**
 * A device-side connection to one push account (a push server, a mailbox...), shared by every
 * registration on it. Messages are delivered at least once until acked.
 */
export interface Channel extends Emitter<ChannelEvents> {
  readonly kind: string;
  readonly state: ChannelState;
  /** Why the state is `failed` (what `fosspushd status` shows); undefined in every other state. */
  readonly failure?: FosspushError | undefined;
  connect(): Promise<void>;
  close(): Promise<void>;
  subscribe(request: SubscribeRequest): Promise<ChannelSubscription>;
  unsubscribe(registrationId: string): Promise<void>;
  /** Tells the far side the message is safely stored and need not be sent again. */
  ack(registrationId: string, messageId: string): Promise<void>;
}

/**
 * Durable key-value state the host (the daemon) gives a channel, so that what the channel
 * negotiated (a subscription set URL, IMAP checkpoints, pinned sender keys, a resume cursor)
 * survives restarts and tokens stay the same.
 */
export interface ChannelStateStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface ChannelOptions {
  runtime?: Partial<Runtime>;
  /** @default an in-memory state store (nothing survives a restart) */
  state?: ChannelStateStore;
}

/** A ChannelStateStore that lives in memory: for tests and short-lived channels. */
export function createMemoryChannelState(): ChannelStateStore {
  const values = new Map<string, string>();
  return {
    async get(key) {
      return values.get(key);
    },
    async set(key, value) {
      values.set(key, value);
    },
    async delete(key) {
      values.delete(key);
    },
  };
}
