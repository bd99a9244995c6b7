import type { webcrypto } from 'node:crypto';
import {
  type Channel,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelSubscription,
  type ConnectionLink,
  createChannelLifecycle,
  createDropCounter,
  createEmitter,
  createMemoryChannelState,
  createSerialQueue,
  FosspushError,
  type PushMessage,
  type ReconnectOptions,
  resolveRuntime,
  toBase64Url,
  toFosspushError,
  verifyVapid,
  withDefaults,
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
  /** Reconnect backoff. @default RECONNECT_DEFAULTS */
  reconnect?: Partial<ReconnectOptions>;
}

export const DHT_CHANNEL_DEFAULTS = {
  floodRatePerSecond: 5,
  floodBurst: 50,
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
  readonly macSecret: string;
  readonly macKey: webcrypto.CryptoKey;
  readonly guard: FloodGuard;
  /** DHT value ids handled in this run (delivered, acked or dropped), with when they expire. */
  readonly seen: Map<string, number>;
  /** Acked DHT value ids, kept in the state store until they expire: they survive restarts. */
  readonly acked: Map<string, number>;
  /** Delivered, not yet acked: message id to DHT value id. */
  readonly unacked: Map<string, { valueId: string; expiresAt: number }>;
}

/** One connection, as the lifecycle sees it: a listen per registration through one proxy. */
interface DhtSession {
  readonly proxy: string;
  readonly link: ConnectionLink;
  readonly listens: Map<string, AbortController>;
  ready: boolean;
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
 * on a key derived from a secret only this channel and the token's holders know. Reconnects
 * and failover follow the shared channel lifecycle; a proxy that does not answer hands over to
 * the next one.
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
  const config = withDefaults(DHT_CHANNEL_DEFAULTS, options);
  const runtime = resolveRuntime(options.runtime);
  const { clock } = runtime;
  const state = options.state ?? createMemoryChannelState();
  const emitter = createEmitter<ChannelEvents>();
  const serially = createSerialQueue();
  const listeners = new Map<string, Listener>();
  let proxyIndex = 0;
  let accountSecret: string | undefined;

  /** The proxy did not answer: the next attempt goes through the next one. */
  const failOver = () => {
    proxyIndex = (proxyIndex + 1) % proxies.length;
  };

  async function prepare(stored: StoredRegistration): Promise<Listener> {
    const { infoHash, macSecret } = await registrationKeys(accountSecret as string, stored.id);
    const now = clock.now();
    const saved = JSON.parse((await state.get(ackedKey(stored.id))) ?? '[]') as Array<[string, number]>;
    const acked = new Map(saved.filter(([, expiresAt]) => expiresAt > now));
    return {
      stored,
      infoHash,
      macSecret,
      macKey: await macKeyFor(macSecret, infoHash),
      guard: new FloodGuard(clock, config.floodRatePerSecond, config.floodBurst),
      seen: new Map(acked),
      acked,
      unacked: new Map(),
    };
  }

  const lifecycle = createChannelLifecycle<void, DhtSession>({
    runtime,
    events: emitter,
    reconnect: options.reconnect,
    async load() {
      accountSecret = await state.get(KEY_SECRET);
      if (accountSecret === undefined) {
        accountSecret = toBase64Url(runtime.random.bytes(32));
        await state.set(KEY_SECRET, accountSecret);
      }
      const stored = JSON.parse((await state.get(KEY_REGISTRATIONS)) ?? '[]') as StoredRegistration[];
      for (const registration of stored) listeners.set(registration.id, await prepare(registration));
    },
    // Nothing to listen on before the first registration, but "connected" still means a proxy answered.
    hasWork: () => listeners.size > 0,
    probe: () => probeProxy(proxies[proxyIndex] as string, options).catch((error: unknown) => {
      failOver();
      throw error;
    }),
    start: (_, link) => openSession(link),
    stop: (session) => {
      for (const abort of session.listens.values()) abort.abort();
    },
  });

  const saveRegistrations = () => state.set(KEY_REGISTRATIONS, JSON.stringify([...listeners.values()].map((listener) => listener.stored)));

  const drops = createDropCounter<keyof DhtDropCounts, { registrationId: string; error?: FosspushError }>(
    ['malformed', 'oversized', 'unauthenticated', 'expired', 'tooLarge', 'rateLimited'],
    clock,
    (reason, count, { registrationId, error }) =>
      emitter.emit(
        'error',
        new FosspushError(error?.code ?? 'INVALID_MESSAGE', `dropped DHT values (${reason}) for registration ${registrationId}: ${count} so far`, {
          details: { reason, registrationId, count },
          cause: error,
        }),
      ),
  );
  const reportDrop = (reason: keyof DhtDropCounts, registrationId: string, error?: FosspushError) =>
    drops.drop(reason, error === undefined ? { registrationId } : { registrationId, error });

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

  function listen(session: DhtSession, listener: Listener) {
    const abort = new AbortController();
    session.listens.set(listener.stored.id, abort);
    listenValues(session.proxy, listener.infoHash, abort.signal, DHT_LIMITS.maxValueBytes, {
      value: (value) => {
        void receive(listener, value).catch((error: unknown) => emitter.emit('error', toFosspushError(error)));
      },
      garbage: (reason) => reportDrop(reason, listener.stored.id),
    }).then(
      () => lost(new FosspushError('UNAVAILABLE', `the DHT proxy ${session.proxy} ended a listen`)),
      (error: unknown) => lost(toFosspushError(error, 'UNAVAILABLE')),
    );
    // A listen that breaks means the proxy likely went away: the lifecycle retries them all.
    function lost(error: FosspushError) {
      if (abort.signal.aborted) return;
      session.listens.delete(listener.stored.id);
      session.link.dropped(error);
    }
  }

  /** Probes the proxy, then listens on every registration through it. */
  function openSession(link: ConnectionLink): DhtSession {
    const session: DhtSession = { proxy: proxies[proxyIndex] as string, link, listens: new Map(), ready: false };
    probeProxy(session.proxy, options).then(
      () => {
        if (!link.current) return;
        for (const listener of listeners.values()) listen(session, listener);
        session.ready = true;
        link.ready();
      },
      (error: unknown) => {
        if (!link.current) return;
        failOver();
        link.dropped(toFosspushError(error, 'UNAVAILABLE'));
      },
    );
    return session;
  }

  const subscriptionOf = (listener: Listener): ChannelSubscription => {
    const extras: Record<string, string> = { mk: listener.macSecret };
    if (proxies.length > 1) extras['proxies'] = proxies.slice(1).join(' ');
    return { registrationId: listener.stored.id, endpoint: keyUrl(proxies[0] as string, listener.infoHash), extras, tokenChannel: 'dht' };
  };

  return {
    kind: 'dht',
    on: emitter.on,
    get state() {
      return lifecycle.state;
    },
    get failure() {
      return lifecycle.failure;
    },
    get proxy() {
      return proxies[proxyIndex] as string;
    },
    get dropped() {
      return drops.counts;
    },
    connect: () => lifecycle.connect(),
    close: () => lifecycle.close(),

    subscribe(request) {
      return serially(async () => {
        await lifecycle.load();
        if (request.registrationId !== undefined) {
          const listener = listeners.get(request.registrationId);
          if (listener === undefined) throw new FosspushError('NOT_FOUND', `no DHT registration ${request.registrationId}`);
          return subscriptionOf(listener);
        }
        const stored: StoredRegistration = { id: toBase64Url(runtime.random.bytes(16)) };
        if (request.vapidPublicKey !== undefined) stored.vapid = request.vapidPublicKey;
        const listener = await prepare(stored);
        listeners.set(stored.id, listener);
        await saveRegistrations();
        const session = lifecycle.connection;
        if (session?.ready) listen(session, listener);
        else await lifecycle.update();
        return subscriptionOf(listener);
      });
    },

    unsubscribe(registrationId) {
      return serially(async () => {
        await lifecycle.load();
        if (!listeners.delete(registrationId)) return;
        lifecycle.connection?.listens.get(registrationId)?.abort();
        await saveRegistrations();
        await state.delete(ackedKey(registrationId));
        await lifecycle.update();
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
