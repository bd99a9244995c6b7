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
  type TimerHandle,
  toFosspushError,
  validateMessageId,
} from '@fosspush/core';
import { createChannelStateView, type StoredSubscription } from './channel-state.js';
import { createDeliveryLedger, type DeliveryLedger } from './delivery-ledger.js';
import { decodeServerFrame } from './device-frames.js';
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
   * Silence after which the server counts as dead and the channel reconnects. The channel uses
   * at least twice the heartbeat interval the server announces, so a short value cannot make
   * it drop healthy connections.
   * @default 60_000
   */
  heartbeatTimeoutMs?: number;
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
  /** Ends the connection; the transport reports nothing more about it. */
  close(): void;
}

/** One way to open a device stream: the WebSocket and SSE packages each provide one. */
export interface DeviceStreamTransport {
  readonly kind: string;
  open(request: { setUrl: string; afterSeq: number | undefined }, events: DeviceStreamEvents): DeviceStreamConnection;
}

interface ActiveStream {
  readonly connection: DeviceStreamConnection;
  readonly link: ConnectionLink;
  ready: boolean;
  heartbeatTimeoutMs: number;
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
  const config = { ...PUSH_SERVER_CHANNEL_DEFAULTS, ...options };
  const runtime = resolveRuntime(options.runtime);
  const { timers } = runtime;
  const emitter = createEmitter<ChannelEvents>();
  const client = createPushServiceClient({ serverUrl: options.serverUrl, fetch: options.fetch, runtime: options.runtime });
  const persisted = createChannelStateView(options.state ?? createMemoryChannelState(), (error) =>
    emitter.emit('error', toFosspushError(error)),
  );

  let setUrl: string | undefined;
  let subscriptions = new Map<string, StoredSubscription>();
  let ledger: DeliveryLedger = createDeliveryLedger();
  let watchdog: TimerHandle | undefined;

  const lifecycle = createChannelLifecycle<void, ActiveStream>({
    runtime,
    events: emitter,
    reconnect: options.reconnect,
    async load() {
      const stored = await persisted.load();
      setUrl = stored.setUrl;
      subscriptions = stored.subscriptions;
      ledger = createDeliveryLedger({ cursor: stored.cursor });
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

  const clearTimer = (handle: TimerHandle | undefined) => {
    if (handle !== undefined) timers.clearTimeout(handle);
  };

  function stopStream(current: ActiveStream) {
    clearTimer(watchdog);
    watchdog = undefined;
    current.connection.close();
  }

  const armWatchdog = (current: ActiveStream) => {
    clearTimer(watchdog);
    watchdog = timers.setTimeout(() => {
      if (!current.link.current) return;
      current.link.dropped(new FosspushError('TIMEOUT', `no heartbeat from the push service for ${current.heartbeatTimeoutMs} ms`));
    }, current.heartbeatTimeoutMs);
  };

  const forgetSet = async () => {
    setUrl = undefined;
    subscriptions = new Map();
    ledger = createDeliveryLedger();
    await persisted.clear();
  };

  /** The service forgot the set (deleted, expired): its endpoints are dead, retrying is futile. */
  function setGone(error: FosspushError) {
    emitter.emit('error', error);
    void lifecycle.close(error, forgetSet).catch((cause: unknown) => emitter.emit('error', toFosspushError(cause)));
  }

  function openStream(link: ConnectionLink): ActiveStream {
    let current: ActiveStream | undefined;
    const isCurrent = () => current !== undefined && current.link.current;
    const connection = transport.open(
      { setUrl: setUrl as string, afterSeq: ledger.cursor },
      {
        frame(text) {
          if (!isCurrent()) return;
          armWatchdog(current as ActiveStream);
          onFrame(current as ActiveStream, text);
        },
        alive() {
          if (isCurrent()) armWatchdog(current as ActiveStream);
        },
        problem(error) {
          if (isCurrent()) emitter.emit('error', error);
        },
        closed(error, retryAfterMs) {
          if (!isCurrent()) return;
          if (isFosspushError(error, 'NOT_FOUND') || isFosspushError(error, 'GONE')) setGone(error);
          else link.dropped(error, retryAfterMs);
        },
      },
    );
    current = { connection, link, ready: false, heartbeatTimeoutMs: config.heartbeatTimeoutMs };
    armWatchdog(current);
    return current;
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
        current.heartbeatTimeoutMs = Math.max(config.heartbeatTimeoutMs, 2 * frame.heartbeatMs);
        current.connection.allowAckBatches?.(frame.maxAckIds);
        armWatchdog(current);
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
