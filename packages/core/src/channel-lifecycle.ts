import { createReconnectScheduler, RECONNECT_DEFAULTS, type ReconnectOptions } from './backoff.js';
import type { ChannelEvents, ChannelState } from './channel.js';
import { createConnectWaiters } from './channel-support.js';
import type { EmitterController } from './emitter.js';
import { FosspushError, toFosspushError } from './errors.js';
import type { Runtime, TimerHandle } from './runtime.js';
import { withDefaults } from './with-defaults.js';

/** How one connection reports back to the lifecycle that opened it. */
export interface ConnectionLink {
  /** The connection is usable: `connect()` callers resolve, the state turns `connected`. */
  ready(): void;
  /**
   * The connection ended without being asked to: the lifecycle stops it and retries after a
   * backoff (at least `retryAfterMs`, a server's Retry-After), or fails for good when
   * `isFatal(error)`.
   */
  dropped(error: FosspushError, retryAfterMs?: number): void;
  /** Whether this is still the lifecycle's connection. Reports from an older one are ignored anyway. */
  readonly current: boolean;
}

export interface ChannelLifecycleOptions<Loaded, Connection> {
  /**
   * Reads what the channel needs before its first connection (stored state, keys). Its result
   * is kept once it succeeds; a failure is not: `connect()` rejects with it, and the next call
   * reads again, since a storage hiccup must not break the channel until a restart.
   */
  load(): Promise<Loaded>;
  /** Opens one connection, which reports through `link`. Throwing counts as `link.dropped`. */
  start(loaded: Loaded, link: ConnectionLink): Connection;
  /** Ends a connection `start` opened: on close, after a drop, or when there is nothing left to connect for. */
  stop(connection: Connection): void | Promise<void>;
  /**
   * Errors that no retry will fix (a refused login): the channel turns `failed` instead of
   * retrying, and `connect()` callers get the error.
   * @default () => false
   */
  isFatal?(error: FosspushError): boolean;
  /**
   * Whether there is anything to connect for. Without, `connect()` resolves at once as
   * `connected` and no connection is opened (a push-server channel before its first
   * subscription). Call `update()` when the answer may have changed.
   * @default () => true
   */
  hasWork?(): boolean;
  /**
   * With no work, checks that the far side answers before the channel calls itself
   * `connected` (a push server's base URL): a failure is reported and retried like a dropped
   * connection, so an unreachable server shows as `reconnecting` with its error.
   * @default none: with no work, `connected` at once
   */
  probe?(loaded: Loaded): Promise<void>;
  /** @default RECONNECT_DEFAULTS */
  reconnect?: Partial<ReconnectOptions>;
  runtime: Runtime;
  /** Where `state` changes and connection errors are reported: the channel's own emitter. */
  events: Pick<EmitterController<ChannelEvents>, 'emit'>;
}

/** The connect/reconnect half of a Channel; the channel adds subscribe, unsubscribe, ack. */
export interface ChannelLifecycle<Loaded, Connection> {
  readonly state: ChannelState;
  /** Why the state is `failed`; undefined in every other state. */
  readonly failure: FosspushError | undefined;
  /** The connection `start` returned last, while it is open (ready or not). */
  readonly connection: Connection | undefined;
  /** `options.load()`, memoised once it succeeds. */
  load(): Promise<Loaded>;
  /**
   * Resolves once a connection is ready (at once when there is no work or one is ready
   * already); keeps retrying through failures that are not fatal; rejects with a fatal error,
   * a failed load, or CLOSED when the channel is closed first.
   */
  connect(): Promise<void>;
  /** `hasWork()` may have changed: opens a connection, or stops the one open, as it now says. */
  update(): Promise<void>;
  /**
   * Stops connecting for good: cancels any retry, stops the connection, runs `cleanUp` (make
   * what the channel keeps durable), then turns `closed` and rejects whoever waits in
   * `connect()` with `reason` (CLOSED by default). `connect()` may start again afterwards.
   */
  close(reason?: FosspushError, cleanUp?: () => Promise<void>): Promise<void>;
}

/**
 * The state machine every reconnecting channel shares, written once: connect waiters, retries
 * with full-jitter backoff on `runtime.timers`, a backoff reset only after a connection stayed
 * ready for `reconnect.resetAfterMs`, the `failed` state for errors no retry fixes, and
 * reports from stale connections ignored. A channel supplies how to load its state and open
 * and stop one connection.
 *
 * ```
 * idle --connect--> connecting --ready--> connected --dropped--> reconnecting --(backoff)--> (start again)
 *                        \--dropped (fatal)--> failed --connect--> connecting
 * any --close--> closed --connect--> connecting
 * ```
 *
 * @example
 * export function createXmppChannel(options: XmppChannelOptions): Channel {
 *   const emitter = createEmitter<ChannelEvents>();
 *   const lifecycle = createChannelLifecycle({
 *     runtime: resolveRuntime(options.runtime),
 *     events: emitter,
 *     reconnect: options.reconnect,
 *     load: () => loadStoredState(options.state),
 *     start(stored, link) {
 *       const session = openXmppSession(options, stored);
 *       session.on('online', () => link.ready());
 *       session.on('offline', (error) => link.dropped(toFosspushError(error)));
 *       return session;
 *     },
 *     stop: (session) => session.end(),
 *     isFatal: (error) => error.code === 'UNAUTHENTICATED' || error.details['permanent'] === true,
 *   });
 *   return {
 *     kind: 'xmpp',
 *     on: emitter.on,
 *     get state() { return lifecycle.state; },
 *     get failure() { return lifecycle.failure; },
 *     connect: () => lifecycle.connect(),
 *     close: () => lifecycle.close(),
 *     // subscribe, unsubscribe and ack use `await lifecycle.load()` and `lifecycle.connection`
 *   };
 * }
 */
export function createChannelLifecycle<Loaded, Connection>(options: ChannelLifecycleOptions<Loaded, Connection>): ChannelLifecycle<Loaded, Connection> {
  const { runtime, events } = options;
  const reconnect = withDefaults(RECONNECT_DEFAULTS, options.reconnect);
  const isFatal = options.isFatal ?? (() => false);
  const hasWork = options.hasWork ?? (() => true);
  const scheduler = createReconnectScheduler(reconnect, runtime);
  const waiters = createConnectWaiters();

  let state: ChannelState = 'idle';
  let failure: FosspushError | undefined;
  /** Whether a caller asked to be connected (connect) and has not closed since. */
  let wanted = false;
  /** Counts close() calls, so a connect() that was loading when one came does not revive the channel. */
  let closes = 0;
  let loading: Promise<Loaded> | undefined;
  let loaded: { value: Loaded } | undefined;
  /** The open connection's identity: set while one is open, even before `start` returned. */
  let attempt: object | undefined;
  let connection: Connection | undefined;
  let stableTimer: TimerHandle | undefined;
  /** A probe in flight (no work, `probe` given), so a second connect() does not start another. */
  let probing = false;

  const setState = (next: ChannelState) => {
    if (state === next) return;
    state = next;
    events.emit('state', next);
  };

  const load = () =>
    (loading ??= options.load().then(
      (value) => {
        loaded = { value };
        return value;
      },
      (error: unknown) => {
        loading = undefined;
        throw toFosspushError(error);
      },
    ));

  const clearStableTimer = () => {
    if (stableTimer !== undefined) runtime.timers.clearTimeout(stableTimer);
    stableTimer = undefined;
  };

  /** Stops a connection nobody waits on; what goes wrong there is only worth an error event. */
  const stopQuietly = (ended: Connection) => {
    const report = (error: unknown) => events.emit('error', toFosspushError(error));
    try {
      void Promise.resolve(options.stop(ended)).catch(report);
    } catch (error) {
      report(error);
    }
  };

  /** Forgets the open connection and hands it back for stopping. */
  const detach = (): Connection | undefined => {
    clearStableTimer();
    const ended = connection;
    attempt = undefined;
    connection = undefined;
    return ended;
  };

  function open(value: Loaded) {
    const mine = {};
    attempt = mine;
    const link: ConnectionLink = {
      get current() {
        return attempt === mine;
      },
      ready() {
        if (attempt === mine) onReady();
      },
      dropped(error, retryAfterMs) {
        if (attempt === mine) onDropped(error, retryAfterMs);
      },
    };
    let opened: Connection;
    try {
      opened = options.start(value, link);
    } catch (error) {
      link.dropped(toFosspushError(error));
      return;
    }
    // A connection that dropped while `start` ran is stopped as soon as we hold it.
    if (attempt === mine) connection = opened;
    else stopQuietly(opened);
  }

  function onReady() {
    clearStableTimer();
    stableTimer = runtime.timers.setTimeout(() => {
      stableTimer = undefined;
      scheduler.reset();
    }, reconnect.resetAfterMs);
    setState('connected');
    waiters.settle();
  }

  function onDropped(error: FosspushError, retryAfterMs?: number) {
    const ended = detach();
    events.emit('error', error);
    if (ended !== undefined) stopQuietly(ended);
    if (isFatal(error)) {
      wanted = false;
      scheduler.cancel();
      failure = error;
      setState('failed');
      waiters.settle(error);
      return;
    }
    setState('reconnecting');
    scheduler.schedule(retry, retryAfterMs);
  }

  function retry() {
    if (!wanted || attempt !== undefined || loaded === undefined) return;
    if (hasWork()) open(loaded.value);
    else idle(loaded.value);
  }

  /** Nothing to connect for: connected as far as anyone waiting is concerned. */
  function idleConnected() {
    setState('connected');
    waiters.settle();
  }

  /** Nothing to connect for: connected once the probe (if any) says the far side answers. */
  function idle(value: Loaded) {
    const { probe } = options;
    if (probe === undefined) return idleConnected();
    if (probing) return;
    probing = true;
    probe(value).then(
      () => {
        probing = false;
        if (!wanted || attempt !== undefined) return;
        if (hasWork()) open(value);
        else idleConnected();
      },
      (error: unknown) => {
        probing = false;
        if (!wanted || attempt !== undefined) return;
        events.emit('error', toFosspushError(error, 'UNAVAILABLE'));
        setState('reconnecting');
        scheduler.schedule(retry);
      },
    );
  }

  return {
    get state() {
      return state;
    },
    get failure() {
      return failure;
    },
    get connection() {
      return connection;
    },
    load,

    async connect() {
      const closesBefore = closes;
      const value = await load();
      if (closes !== closesBefore) throw new FosspushError('CLOSED', 'the channel was closed');
      if (wanted && state === 'connected') return;
      wanted = true;
      failure = undefined;
      const ready = waiters.wait();
      if (!hasWork()) {
        if (options.probe === undefined) {
          idleConnected();
          return ready;
        }
        if (!scheduler.pending) {
          if (state !== 'reconnecting') setState('connecting');
          idle(value);
        }
        return ready;
      }
      if (attempt === undefined && !scheduler.pending) {
        setState('connecting');
        open(value);
      }
      return ready;
    },

    async update() {
      if (!wanted || loaded === undefined) return;
      if (hasWork()) {
        if (attempt === undefined && !scheduler.pending) {
          setState('connecting');
          open(loaded.value);
        }
        return;
      }
      scheduler.cancel();
      const ended = detach();
      idleConnected();
      if (ended !== undefined) await options.stop(ended);
    },

    async close(reason = new FosspushError('CLOSED', 'the channel was closed'), cleanUp) {
      wanted = false;
      closes++;
      failure = undefined;
      scheduler.cancel();
      const ended = detach();
      try {
        if (ended !== undefined) await options.stop(ended);
        await cleanUp?.();
      } finally {
        setState('closed');
        waiters.settle(reason);
      }
    },
  };
}
