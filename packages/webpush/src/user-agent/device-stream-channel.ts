import {
  type Channel,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelSubscription,
  type ConnectionLink,
  createChannelLifecycle,
  createEmitter,
  createMemoryChannelState,
  createSerialQueue,
  FosspushError,
  isFosspushError,
  type ReconnectOptions,
  resolveRuntime,
  toFosspushError,
  validateMessageId,
  withDefaults,
} from '@fosspush/core';
import { createChannelStateView, type StoredSubscription } from './channel-state.js';
import { createStreamDeliveryLedger, type StreamDeliveryLedger } from './delivery-ledger.js';
import { decodeServerFrame } from '../device-wire/device-frames.js';
import { type AdaptiveInterval, KEEPALIVE_DEFAULTS, type KeepaliveOptions, loadAdaptiveInterval, saveAdaptiveInterval, StreamLiveness } from './keepalive.js';
import { createPushServiceClient } from './push-service-client.js';

/** Options of a channel to a fosspush (RFC 8030) push server, over WebSocket or SSE. */
export interface PushServerChannelOptions extends ChannelOptions {
  /** The push service's base URL, e.g. `https://push.example.org/`. */
  serverUrl: string;
  /** For the subscription API (and the SSE stream). @default globalThis.fetch */
  fetch?: typeof fetch;
  /** @default RECONNECT_DEFAULTS */
  reconnect?: Partial<ReconnectOptions>;
  /**
   * How long a connect may take before `ready`; and against a wire version 1 server (which
   * drives heartbeats itself), the silence after which it counts as dead. The channel uses at
   * least twice the heartbeat interval such a server announces, so a short value cannot make
   * it drop healthy connections.
   * @default 60_000
   */
  heartbeatTimeoutMs?: number;
  /** The adaptive heartbeat of wire version 2 (docs/device-wire.md section 6). @default KEEPALIVE_DEFAULTS */
  keepalive?: Partial<KeepaliveOptions>;
}

export const PUSH_SERVER_CHANNEL_DEFAULTS = {
  heartbeatTimeoutMs: 60_000,
} satisfies Partial<PushServerChannelOptions>;

/** What a transport reports about one stream connection. */
export interface DeviceStreamEvents {
  /** One text frame (a WebSocket message or an SSE event's data). */
  frame(text: string): void;
  /** Anything else arrived (a ping, a comment, bytes): the server is alive. */
  alive(): void;
  /** Something went wrong that does not end the connection. */
  problem(error: FosspushError): void;
  /** The connection ended without the channel asking; `retryAfterMs` from a 429 or 503. */
  closed(error: FosspushError, retryAfterMs?: number): void;
}

export interface DeviceStreamConnection {
  /** Sends an ack over the stream; false when it cannot carry one (then the channel uses HTTP). */
  ack(messageId: string): Promise<boolean>;
  /**
   * The server's `ready` announced how many ids one ack frame may carry: a transport that acks
   * in frames may now put acks made together into one frame. Without this call, one id a frame.
   */
  allowAckBatches?(maxIds: number): void;
  /** Sends a heartbeat the server answers (WebSocket ping); absent where the device cannot write. */
  ping?(): void;
  /** Ends the connection; the transport reports nothing more about it. */
  close(): void;
}

/** One way to open a device stream: the WebSocket and SSE packages each provide one. */
export interface DeviceStreamTransport {
  readonly kind: string;
  /** `heartbeatMs`: the comment cadence to ask for, where the server sends the heartbeats (SSE). */
  open(request: { setUrl: string; afterSeq: number | undefined; heartbeatMs: number }, events: DeviceStreamEvents): DeviceStreamConnection;
}

interface ActiveStream {
  /** Replaced when an SSE stream reopens to ask for a newly learned cadence. */
  connection: DeviceStreamConnection;
  liveness: StreamLiveness;
  readonly link: ConnectionLink;
  ready: boolean;
}

/**
 * The device side of the push service <-> device wire, shared by the WebSocket and SSE
 * channels: one stream per subscription set carries every registration, messages are handed
 * on once and acked, a dropped stream resumes from its cursor after a jittered backoff, and
 * the set, the subscriptions and the cursor persist in `options.state`.
 *
 * `connect()` resolves once the stream is ready (at once while there is nothing to stream
 * yet), keeps retrying through transient failures (core's `createChannelLifecycle`), and
 * rejects when the service no longer knows the set (NOT_FOUND) or the channel is closed.
 */
export function createDeviceStreamChannel(options: PushServerChannelOptions, transport: DeviceStreamTransport): Channel {
  const config = withDefaults(PUSH_SERVER_CHANNEL_DEFAULTS, options);
  const runtime = resolveRuntime(options.runtime);
  const emitter = createEmitter<ChannelEvents>();
  const client = createPushServiceClient({ serverUrl: options.serverUrl, fetch: options.fetch, runtime: options.runtime });
  const stateStore = options.state ?? createMemoryChannelState();
  const persisted = createChannelStateView(stateStore, (error) => emitter.emit('error', toFosspushError(error)));
  const keepaliveOptions = { ...withDefaults(KEEPALIVE_DEFAULTS, options.keepalive), legacyTimeoutMs: config.heartbeatTimeoutMs };
  let heartbeatInterval: AdaptiveInterval | undefined;

  let setUrl: string | undefined;
  let subscriptions = new Map<string, StoredSubscription>();
  let ledger: StreamDeliveryLedger = createStreamDeliveryLedger();

  const lifecycle = createChannelLifecycle<void, ActiveStream>({
    runtime,
    events: emitter,
    reconnect: options.reconnect,
    async load() {
      const stored = await persisted.load();
      setUrl = stored.setUrl;
      subscriptions = stored.subscriptions;
      ledger = createStreamDeliveryLedger({ cursor: stored.cursor });
      heartbeatInterval = await loadAdaptiveInterval(stateStore, keepaliveOptions);
    },
    // No set yet: nothing to stream until the first subscribe makes one. "Connected" still
    // means the service answered, so an unreachable server shows as reconnecting, with its error.
    hasWork: () => setUrl !== undefined,
    probe: () => client.probe(),
    start: (_, link) => openStream(link),
    stop: stopStream,
  });

  // Subscribe and unsubscribe run one at a time: two first subscribes must not create two sets.
  const serially = createSerialQueue();

  function stopStream(current: ActiveStream) {
    current.liveness.stop();
    current.connection.close();
  }

  const forgetSet = async () => {
    setUrl = undefined;
    subscriptions = new Map();
    ledger = createStreamDeliveryLedger();
    await persisted.clear();
  };

  /** The service forgot the set (deleted, expired): its endpoints are dead, retrying is futile. */
  function setGone(error: FosspushError) {
    emitter.emit('error', error);
    void lifecycle.close(error, forgetSet).catch((cause: unknown) => emitter.emit('error', toFosspushError(cause)));
  }

  function openStream(link: ConnectionLink): ActiveStream {
    const current = { link, ready: false } as ActiveStream;
    attach(current);
    return current;
  }

  /** Opens the transport for `current`, with a liveness of its own (docs/device-wire.md section 6). */
  function attach(current: ActiveStream) {
    const interval = heartbeatInterval as AdaptiveInterval;
    let connection: DeviceStreamConnection | undefined;
    const isCurrent = () => current.link.current && connection !== undefined && current.connection === connection;
    const liveness = new StreamLiveness(interval, keepaliveOptions, runtime.clock, runtime.timers, {
      ping: () => connection?.ping?.(),
      dead(error) {
        if (isCurrent()) current.link.dropped(error);
      },
      // A longer cadence for an SSE stream needs a new request: reopen at once, from the cursor.
      renegotiate() {
        if (!isCurrent()) return;
        stopStream(current);
        current.ready = false;
        attach(current);
      },
      learned: () => void saveAdaptiveInterval(stateStore, interval).catch((error: unknown) => emitter.emit('error', toFosspushError(error))),
    });
    connection = transport.open(
      { setUrl: setUrl as string, afterSeq: ledger.cursor, heartbeatMs: liveness.askedHeartbeatMs },
      {
        frame(text) {
          if (!isCurrent()) return;
          liveness.heard();
          onFrame(current, text);
        },
        alive() {
          if (isCurrent()) liveness.heard();
        },
        problem(error) {
          if (isCurrent()) emitter.emit('error', error);
        },
        closed(error, retryAfterMs) {
          if (!isCurrent()) return;
          liveness.lost(error);
          if (isFosspushError(error, 'NOT_FOUND') || isFosspushError(error, 'GONE')) setGone(error);
          else current.link.dropped(error, retryAfterMs);
        },
      },
    );
    current.connection = connection;
    current.liveness = liveness;
  }

  function onFrame(current: ActiveStream, text: string) {
    let frame: ReturnType<typeof decodeServerFrame>;
    try {
      frame = decodeServerFrame(text);
    } catch (error) {
      emitter.emit('error', toFosspushError(error, 'PROTOCOL_ERROR'));
      return;
    }
    switch (frame.type) {
      case 'ready':
        current.ready = true;
        current.liveness.ready(frame, current.connection.ping !== undefined);
        current.connection.allowAckBatches?.(frame.maxAckIds);
        current.link.ready();
        return;
      case 'error':
        emitter.emit('error', frame.error);
        return;
      case 'msg': {
        const verdict = ledger.receive(frame.message.id, frame.seq);
        if (verdict === 'acked') {
          // The server missed our ack (it was lost with a connection): tell it again.
          void sendAck(frame.message.id).catch((error: unknown) => emitter.emit('error', toFosspushError(error)));
          return;
        }
        if (verdict === 'in-flight') return;
        persisted.saveCursor(ledger.durableCursor);
        emitter.emit('message', { registrationId: frame.registrationId, message: frame.message });
      }
    }
  }

  async function sendAck(messageId: string) {
    const current = lifecycle.connection;
    if (current?.ready && (await current.connection.ack(messageId))) return;
    await client.ack(client.messageUrl(messageId));
  }

  const toSubscription = (registrationId: string, stored: StoredSubscription): ChannelSubscription => ({
    registrationId,
    endpoint: stored.endpoint,
    extras: {},
  });

  return {
    kind: transport.kind,
    on: emitter.on,
    get state() {
      return lifecycle.state;
    },
    get failure() {
      return lifecycle.failure;
    },
    connect: () => lifecycle.connect(),
    close: () => lifecycle.close(undefined, () => persisted.flush()),

    subscribe(request) {
      return serially(async () => {
        await lifecycle.load();
        if (request.registrationId !== undefined) {
          const stored = subscriptions.get(request.registrationId);
          if (stored === undefined) throw new FosspushError('NOT_FOUND', `no stored subscription for registration ${request.registrationId}`);
          return toSubscription(request.registrationId, stored);
        }
        const created = await client.subscribe({ setUrl, vapidPublicKey: request.vapidPublicKey });
        if (setUrl !== undefined && created.setUrl !== setUrl) {
          await client.unsubscribe(created.subscriptionUrl).catch(() => undefined);
          throw new FosspushError('PROTOCOL_ERROR', 'the push service put the subscription in another set than the one asked for');
        }
        const registrationId = new URL(created.pushResourceUrl).pathname.split('/').pop() ?? '';
        if (registrationId === '') throw new FosspushError('PROTOCOL_ERROR', 'the push resource URL has no push id');
        const stored = { subscriptionUrl: created.subscriptionUrl, endpoint: created.pushResourceUrl };
        subscriptions.set(registrationId, stored);
        if (setUrl === undefined) {
          setUrl = created.setUrl;
          await persisted.saveSet(created.setUrl);
        }
        await persisted.saveSubscriptions(subscriptions);
        await lifecycle.update();
        return toSubscription(registrationId, stored);
      });
    },

    unsubscribe(registrationId) {
      return serially(async () => {
        await lifecycle.load();
        const stored = subscriptions.get(registrationId);
        if (stored === undefined) throw new FosspushError('NOT_FOUND', `no stored subscription for registration ${registrationId}`);
        await client.unsubscribe(stored.subscriptionUrl);
        subscriptions.delete(registrationId);
        if (subscriptions.size > 0) {
          await persisted.saveSubscriptions(subscriptions);
          return;
        }
        // Nothing left to stream: the next subscribe starts a fresh set. forgetSet drops the set
        // at once, so update() finds no work and stops the stream while the store forgets it.
        await Promise.all([forgetSet(), lifecycle.update()]);
      });
    },

    async ack(_registrationId, messageId) {
      validateMessageId(messageId);
      await lifecycle.load();
      ledger.ack(messageId);
      persisted.saveCursor(ledger.durableCursor);
      await sendAck(messageId);
    },
  };
}
