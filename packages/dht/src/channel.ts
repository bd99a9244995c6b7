import {
  type Channel,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelState,
  type ChannelSubscription,
  createConnectWaiters,
  createEmitter,
  createMemoryChannelState,
  createSerialQueue,
  FosspushError,
  type PushMessage,
  resolveRuntime,
  toBase64Url,
  toFosspushError,
  verifyVapid,
} from '@fosspush/core';
import { FloodGuard } from './flood-guard.js';
import { registrationKeys } from './info-hash.js';
import { keyUrl, listenValues, type ProxyClientOptions, probeProxy } from './proxy-client.js';
import { DHT_LIMITS, macKeyFor, openDhtValue } from './value.js';

export interface DhtChannelOptions extends ChannelOptions, ProxyClientOptions {
  /**
   * dhtproxy base URLs in order of preference, e.g. `['https://dhtproxy.jami.net']`. The channel
   * listens through one at a time and moves to the next when it fails; tokens name them all.
   */
  proxies: readonly string[];
  /** Values one registration accepts per second once its burst is spent. @default 5 */
  floodRatePerSecond?: number;
  /** Values one registration accepts at once. @default 50 */
  floodBurst?: number;
  /** First reconnect delay; doubles per failure, with jitter. @default 500 */
  retryInitialMs?: number;
  /** @default 30000 */
  retryMaxMs?: number;
}

export const DHT_CHANNEL_DEFAULTS = {
  floodRatePerSecond: 5,
  floodBurst: 50,
  retryInitialMs: 500,
  retryMaxMs: 30_000,
} satisfies Partial<DhtChannelOptions>;

/** Why values were dropped, counted per reason since the channel was made. */
export interface DhtDropCounts {
  malformed: number;
  oversized: number;
  unauthenticated: number;
  expired: number;
  tooLarge: number;
  rateLimited: number;
}

export interface DhtChannel extends Channel {
  /** The proxy listened through now. */
  readonly proxy: string;
  readonly dropped: Readonly<DhtDropCounts>;
}

interface StoredRegistration {
  id: string;
  vapid?: string;
}

/** What one registration needs while it is listened on. */
interface Listener {
  readonly stored: StoredRegistration;
  readonly infoHash: string;
  readonly macKey: CryptoKey;
  readonly guard: FloodGuard;
  /** DHT value ids handled in this run (delivered, acked or dropped), with when they expire. */
  readonly seen: Map<string, number>;
  /** Acked DHT value ids, kept in the state store until they expire: they survive restarts. */
  readonly acked: Map<string, number>;
  /** Delivered, not yet acked: message id to DHT value id. */
  readonly unacked: Map<string, { valueId: string; expiresAt: number }>;
  abort?: AbortController;
}

const KEY_SECRET = 'dht:secret';
const KEY_REGISTRATIONS = 'dht:registrations';
const ackedKey = (registrationId: string) => `dht:acked:${registrationId}`;

function dropReason(error: FosspushError): keyof DhtDropCounts {
  switch (error.code) {
    case 'UNAUTHENTICATED':
      return 'unauthenticated';
    case 'EXPIRED':
      return 'expired';
    case 'PAYLOAD_TOO_LARGE':
      return 'tooLarge';
    default:
      return 'malformed';
  }
}

/**
 * The device side of push over OpenDHT: one NDJSON listen per registration on a dhtproxy, each
 * on a key derived from a secret only this channel and the token's holders know.
 *
 * "Ack" on a DHT means "forget": nobody can delete a value from a DHT, it expires on its own
 * (10 minutes for OpenDHT's user values). An acked value's id is remembered until it expires,
 * so a re-listen, which replays every live value, does not deliver it again.
 *
 * @example
 * const channel = createDhtChannel({ proxies: ['http://127.0.0.1:8080'], state });
 * channel.on('message', ({ registrationId, message }) => store(registrationId, message));
 * await channel.connect();
 * const { endpoint, extras } = await channel.subscribe({});
 */
export function createDhtChannel(options: DhtChannelOptions): DhtChannel {
  if (options.proxies.length === 0) throw new FosspushError('INVALID_REQUEST', 'a DHT channel needs at least one proxy URL', { details: { field: 'proxies' } });
  const proxies = options.proxies.map((url) => url.replace(/\/+$/, ''));
  const config = { ...DHT_CHANNEL_DEFAULTS, ...options };
  const runtime = resolveRuntime(options.runtime);
  const { clock } = runtime;
  const state = options.state ?? createMemoryChannelState();
  const emitter = createEmitter<ChannelEvents>();
  const waiters = createConnectWaiters();
  const serially = createSerialQueue();
  const dropped: DhtDropCounts = { malformed: 0, oversized: 0, unauthenticated: 0, expired: 0, tooLarge: 0, rateLimited: 0 };
  const listeners = new Map<string, Listener>();
  const lastDropReport = new Map<keyof DhtDropCounts, number>();

  let channelState: ChannelState = 'idle';
  let wanted = false;
  let proxyIndex = 0;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let accountSecret: Promise<string> | undefined;
  let loaded: Promise<void> | undefined;

  const setState = (next: ChannelState) => {
    if (channelState === next) return;
    channelState = next;
    emitter.emit('state', next);
  };

  const secret = () =>
    (accountSecret ??= (async () => {
      const existing = await state.get(KEY_SECRET);
      if (existing !== undefined) return existing;
      const created = toBase64Url(runtime.random.bytes(32));
      await state.set(KEY_SECRET, created);
      return created;
    })());

  async function prepare(stored: StoredRegistration): Promise<Listener> {
    const { infoHash, macSecret } = await registrationKeys(await secret(), stored.id);
    const now = clock.now();
    const saved = JSON.parse((await state.get(ackedKey(stored.id))) ?? '[]') as Array<[string, number]>;
    const acked = new Map(saved.filter(([, expiresAt]) => expiresAt > now));
    return {
      stored,
      infoHash,
      macKey: await macKeyFor(macSecret, infoHash),
      guard: new FloodGuard(clock, config.floodRatePerSecond, config.floodBurst),
      seen: new Map(acked),
      acked,
      unacked: new Map(),
    };
  }

  // A failed load is retried by the next call: the state store may have been briefly unavailable.
  const load = () =>
    (loaded ??= (async () => {
      const stored = JSON.parse((await state.get(KEY_REGISTRATIONS)) ?? '[]') as StoredRegistration[];
      for (const registration of stored) listeners.set(registration.id, await prepare(registration));
    })().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));

  const saveRegistrations = () => state.set(KEY_REGISTRATIONS, JSON.stringify([...listeners.values()].map((listener) => listener.stored)));

  function reportDrop(reason: keyof DhtDropCounts, registrationId: string, error?: FosspushError) {
    dropped[reason] += 1;
    // One report per reason a minute: a flood must not become a flood of log lines.
    const last = lastDropReport.get(reason);
    if (last !== undefined && clock.now() - last < 60_000) return;
    lastDropReport.set(reason, clock.now());
    emitter.emit(
      'error',
      new FosspushError(error?.code ?? 'INVALID_MESSAGE', `dropped DHT values (${reason}) for registration ${registrationId}: ${dropped[reason]} so far`, {
        details: { reason, registrationId, count: dropped[reason] },
        ...(error === undefined ? {} : { cause: error }),
      }),
    );
  }

  async function receive(listener: Listener, value: Record<string, unknown>) {
    const valueId = typeof value['id'] === 'string' ? value['id'] : undefined;
    // Expiry notices and values already handled (a re-listen replays all live values) cost nothing.
    if (value['expired'] === true || valueId === undefined || listener.seen.has(valueId)) return;
    const now = clock.now();
    const registrationId = listener.stored.id;
    if (!listener.guard.allow()) {
      reportDrop('rateLimited', registrationId);
      return;
    }
    if (listener.seen.size >= 1024) {
      for (const [id, expiresAt] of listener.seen) if (expiresAt <= now) listener.seen.delete(id);
    }
    listener.seen.set(valueId, now + DHT_LIMITS.maxTtlSeconds * 1000);
    let opened: { message: PushMessage; vapid?: string };
    try {
      opened = await openDhtValue(value, listener.macKey, now);
    } catch (error) {
      const typed = toFosspushError(error, 'INVALID_MESSAGE');
      reportDrop(dropReason(typed), registrationId, typed);
      return;
    }
    if (listener.stored.vapid !== undefined) {
      try {
        await verifyVapid(opened.vapid, { audience: proxies[0] as string, expectedPublicKey: listener.stored.vapid, runtime });
      } catch (error) {
        // Missing, expired or from another key: the registration only takes its app server's.
        reportDrop('unauthenticated', registrationId, toFosspushError(error, 'UNAUTHENTICATED'));
        return;
      }
    }
    const { message } = opened;
    const expiresAt = message.sentAt + message.ttlSeconds * 1000;
    listener.seen.set(valueId, expiresAt);
    if (!listeners.has(registrationId)) return;
    listener.unacked.set(message.id, { valueId, expiresAt });
    emitter.emit('message', { registrationId, message });
  }

  function startListening(listener: Listener) {
    const abort = new AbortController();
    listener.abort = abort;
    const proxy = proxies[proxyIndex] as string;
    listenValues(proxy, listener.infoHash, abort.signal, DHT_LIMITS.maxValueBytes, {
      value: (value) => {
        void receive(listener, value).catch((error: unknown) => emitter.emit('error', toFosspushError(error)));
      },
      garbage: (reason) => reportDrop(reason, listener.stored.id),
    }).then(
      () => lost(abort, new FosspushError('UNAVAILABLE', `the DHT proxy ${proxy} ended a listen`)),
      (error: unknown) => lost(abort, toFosspushError(error, 'UNAVAILABLE')),
    );
  }

  function stopListening() {
    for (const listener of listeners.values()) {
      listener.abort?.abort();
      listener.abort = undefined;
    }
  }

  /** A listen broke: the proxy is likely gone, so every listen is re-opened after a probe. */
  function lost(abort: AbortController, error: FosspushError) {
    if (abort.signal.aborted || !wanted) return;
    stopListening();
    emitter.emit('error', error);
    setState('reconnecting');
    scheduleStart();
  }

  function scheduleStart() {
    clearTimeout(retryTimer);
    const ceiling = Math.min(config.retryMaxMs, config.retryInitialMs * 2 ** Math.min(attempt, 16));
    // Full jitter: devices that lost the same proxy do not come back in step.
    const delay = Math.floor((((runtime.random.bytes(1)[0] as number) + 1) / 256) * ceiling);
    attempt += 1;
    retryTimer = setTimeout(() => void start(), delay);
  }

  async function start() {
    if (!wanted) return;
    const proxy = proxies[proxyIndex] as string;
    try {
      await probeProxy(proxy, options);
    } catch (error) {
      if (!wanted) return;
      emitter.emit('error', toFosspushError(error, 'UNAVAILABLE'));
      proxyIndex = (proxyIndex + 1) % proxies.length;
      setState(channelState === 'connecting' ? 'connecting' : 'reconnecting');
      scheduleStart();
      return;
    }
    if (!wanted) return;
    attempt = 0;
    for (const listener of listeners.values()) startListening(listener);
    setState('connected');
    waiters.settle();
  }

  const subscriptionOf = (listener: Listener, macSecret: string): ChannelSubscription => {
    const extras: Record<string, string> = { mk: macSecret };
    if (proxies.length > 1) extras['proxies'] = proxies.slice(1).join(' ');
    return { registrationId: listener.stored.id, endpoint: keyUrl(proxies[0] as string, listener.infoHash), extras, tokenChannel: 'dht' };
  };

  return {
    kind: 'dht',
    on: emitter.on,
    get state() {
      return channelState;
    },
    get proxy() {
      return proxies[proxyIndex] as string;
    },
    dropped,

    async connect() {
      await load();
      if (wanted && channelState === 'connected') return;
      const ready = waiters.wait();
      if (!wanted) {
        wanted = true;
        setState('connecting');
        void start();
      }
      return ready;
    },

    async close() {
      wanted = false;
      clearTimeout(retryTimer);
      stopListening();
      setState('closed');
      waiters.settle(new FosspushError('CLOSED', 'the channel was closed'));
    },

    subscribe(request) {
      return serially(async () => {
        await load();
        if (request.registrationId !== undefined) {
          const listener = listeners.get(request.registrationId);
          if (listener === undefined) throw new FosspushError('NOT_FOUND', `no DHT registration ${request.registrationId}`);
          return subscriptionOf(listener, (await registrationKeys(await secret(), listener.stored.id)).macSecret);
        }
        const stored: StoredRegistration = { id: toBase64Url(runtime.random.bytes(16)) };
        if (request.vapidPublicKey !== undefined) stored.vapid = request.vapidPublicKey;
        const listener = await prepare(stored);
        listeners.set(stored.id, listener);
        await saveRegistrations();
        if (wanted && channelState === 'connected') startListening(listener);
        return subscriptionOf(listener, (await registrationKeys(await secret(), stored.id)).macSecret);
      });
    },

    unsubscribe(registrationId) {
      return serially(async () => {
        await load();
        const listener = listeners.get(registrationId);
        if (listener === undefined) return;
        listener.abort?.abort();
        listeners.delete(registrationId);
        await saveRegistrations();
        await state.delete(ackedKey(registrationId));
      });
    },

    async ack(registrationId, messageId) {
      const listener = listeners.get(registrationId);
      const delivered = listener?.unacked.get(messageId);
      if (listener === undefined || delivered === undefined) return;
      listener.unacked.delete(messageId);
      const now = clock.now();
      for (const [valueId, expiresAt] of listener.acked) if (expiresAt <= now) listener.acked.delete(valueId);
      listener.acked.set(delivered.valueId, delivered.expiresAt);
      await state.set(ackedKey(registrationId), JSON.stringify([...listener.acked]));
    },
  };
}

