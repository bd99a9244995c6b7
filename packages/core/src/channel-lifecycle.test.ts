import { describe, expect, it } from 'vitest';
import type { ChannelEvents, ChannelState } from './channel.js';
import { type ChannelLifecycleOptions, type ConnectionLink, createChannelLifecycle } from './channel-lifecycle.js';
import { createEmitter } from './emitter.js';
import { FosspushError } from './errors.js';
import { manualClock } from './runtime.js';

interface FakeConnection {
  loaded: string;
  link: ConnectionLink;
  stopped: boolean;
}

/** Lets pending promise callbacks (an awaited load, a stop) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

const unavailable = () => new FosspushError('UNAVAILABLE', 'the server went away');

/**
 * A lifecycle over fake connections on a manual clock. The random source always draws 0.5, so
 * the n-th retry in a row waits half its window: 50, 100, 200... ms.
 */
function harness(overrides: Partial<ChannelLifecycleOptions<string, FakeConnection>> = {}) {
  const clock = manualClock();
  const emitter = createEmitter<ChannelEvents>();
  const states: ChannelState[] = [];
  const errors: FosspushError[] = [];
  emitter.on('state', (state) => states.push(state));
  emitter.on('error', (error) => errors.push(error));
  const connections: FakeConnection[] = [];
  const control = { loads: 0, failingLoads: 0, work: true };
  const lifecycle = createChannelLifecycle<string, FakeConnection>({
    runtime: { clock, timers: clock.timers, random: { bytes: () => Uint8Array.of(0x80, 0, 0, 0) } },
    events: emitter,
    reconnect: { initialDelayMs: 100, maxDelayMs: 1_000, resetAfterMs: 5_000 },
    async load() {
      control.loads++;
      if (control.failingLoads > 0) {
        control.failingLoads--;
        throw new Error('the state store is busy');
      }
      return 'stored state';
    },
    start(loaded, link) {
      const connection = { loaded, link, stopped: false };
      connections.push(connection);
      return connection;
    },
    stop(connection) {
      connection.stopped = true;
    },
    isFatal: (error) => error.code === 'UNAUTHENTICATED',
    hasWork: () => control.work,
    ...overrides,
  });
  const last = (): FakeConnection => {
    const connection = connections.at(-1);
    if (!connection) throw new Error('no connection was opened');
    return connection;
  };
  /** connect(), with its outcome recorded instead of awaited. */
  const connecting = () => {
    const outcome: { value?: 'resolved' | FosspushError } = {};
    void lifecycle.connect().then(
      () => {
        outcome.value = 'resolved';
      },
      (error: FosspushError) => {
        outcome.value = error;
      },
    );
    return outcome;
  };
  return { clock, lifecycle, states, errors, connections, control, last, connecting };
}

describe('channel lifecycle', () => {
  it('idle -> connecting -> connected: connect() resolves on ready, and again at once', async () => {
    const { lifecycle, states, connections, last, connecting } = harness();
    expect(lifecycle.state).toBe('idle');
    const first = connecting();
    await settle();
    expect(lifecycle.state).toBe('connecting');
    expect(last().loaded).toBe('stored state');
    expect(lifecycle.connection).toBe(last());
    expect(first.value).toBeUndefined();
    last().link.ready();
    await settle();
    expect(first.value).toBe('resolved');
    await lifecycle.connect();
    expect(connections).toHaveLength(1);
    expect(states).toEqual(['connecting', 'connected']);
  });

  it('a failed load rejects connect() and is not kept: the next connect() loads again', async () => {
    const { lifecycle, control, connections, last } = harness();
    control.failingLoads = 1;
    await expect(lifecycle.connect()).rejects.toMatchObject({ name: 'FosspushError', code: 'INTERNAL', message: 'the state store is busy' });
    expect(lifecycle.state).toBe('idle');
    expect(connections).toHaveLength(0);
    const second = lifecycle.connect();
    await settle();
    last().link.ready();
    await second;
    expect(lifecycle.state).toBe('connected');
    // Memoised once it succeeded.
    await lifecycle.load();
    expect(control.loads).toBe(2);
  });

  it('connected -> reconnecting -> connected: a drop is reported, stopped and retried after the backoff', async () => {
    const { clock, lifecycle, states, errors, connections, last, connecting } = harness();
    void lifecycle.connect();
    await settle();
    last().link.ready();
    const dropped = last();
    dropped.link.dropped(unavailable());
    expect(dropped.stopped).toBe(true);
    expect(errors.map((error) => error.code)).toEqual(['UNAVAILABLE']);
    expect(lifecycle.state).toBe('reconnecting');
    expect(lifecycle.connection).toBeUndefined();
    // A connect() meanwhile waits for the retry instead of opening a second connection.
    const waiting = connecting();
    await settle();
    expect(connections).toHaveLength(1);
    clock.advance(49);
    expect(connections).toHaveLength(1);
    clock.advance(1);
    expect(connections).toHaveLength(2);
    expect(lifecycle.state).toBe('reconnecting');
    last().link.ready();
    await settle();
    expect(waiting.value).toBe('resolved');
    expect(states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('backs off further on each drop and resets only after a connection stayed ready for resetAfterMs', async () => {
    const { clock, lifecycle, last } = harness();
    void lifecycle.connect();
    await settle();
    const dropAndMeasure = () => {
      const before = clock.now();
      last().link.dropped(unavailable());
      return (clock.pendingTimers()[0] ?? Number.NaN) - before;
    };
    expect(dropAndMeasure()).toBe(50);
    clock.advance(50);
    // Ready, but dropped again before it proved stable: the window keeps doubling.
    last().link.ready();
    clock.advance(4_999);
    expect(dropAndMeasure()).toBe(100);
    clock.advance(100);
    expect(dropAndMeasure()).toBe(200);
    clock.advance(200);
    last().link.ready();
    clock.advance(5_000);
    expect(dropAndMeasure()).toBe(50);
  });

  it("waits at least a server's Retry-After", async () => {
    const { clock, lifecycle, connections, last } = harness();
    void lifecycle.connect();
    await settle();
    last().link.dropped(new FosspushError('RATE_LIMITED', 'slow down'), 30_000);
    clock.advance(29_999);
    expect(connections).toHaveLength(1);
    clock.advance(1);
    expect(connections).toHaveLength(2);
  });

  it('-> failed on a fatal error: no retry, the reason kept, connect() waiters rejected; connect() tries again', async () => {
    const { clock, lifecycle, states, connections, last, connecting } = harness();
    const waiting = connecting();
    await settle();
    const refused = new FosspushError('UNAUTHENTICATED', 'the server refused the login');
    last().link.dropped(refused);
    await settle();
    expect(waiting.value).toBe(refused);
    expect(lifecycle.state).toBe('failed');
    expect(lifecycle.failure).toBe(refused);
    expect(last().stopped).toBe(true);
    expect(clock.pendingTimers()).toEqual([]);
    clock.advance(3_600_000);
    expect(connections).toHaveLength(1);

    const again = connecting();
    await settle();
    expect(lifecycle.failure).toBeUndefined();
    expect(lifecycle.state).toBe('connecting');
    last().link.ready();
    await settle();
    expect(again.value).toBe('resolved');
    expect(states).toEqual(['connecting', 'failed', 'connecting', 'connected']);
  });

  it('-> closed: stops the connection, runs cleanUp before the state turns, rejects waiters with CLOSED', async () => {
    const { lifecycle, states, last, connecting } = harness();
    const waiting = connecting();
    await settle();
    const order: string[] = [];
    const opened = last();
    await lifecycle.close(undefined, async () => {
      order.push(`cleanUp stopped=${opened.stopped} state=${lifecycle.state}`);
    });
    await settle();
    expect(order).toEqual(['cleanUp stopped=true state=connecting']);
    expect(lifecycle.state).toBe('closed');
    expect(waiting.value).toMatchObject({ code: 'CLOSED' });
    expect(states).toEqual(['connecting', 'closed']);
  });

  it('close cancels a scheduled retry, passes its reason to waiters, and still closes when cleanUp fails', async () => {
    const { clock, lifecycle, connections, last, connecting } = harness();
    void lifecycle.connect().catch(() => undefined);
    await settle();
    last().link.dropped(unavailable());
    const waiting = connecting();
    await settle();
    const gone = new FosspushError('NOT_FOUND', 'the service forgot the set');
    await expect(
      lifecycle.close(gone, async () => {
        throw new Error('disk full');
      }),
    ).rejects.toThrow('disk full');
    await settle();
    expect(lifecycle.state).toBe('closed');
    expect(waiting.value).toBe(gone);
    clock.advance(60_000);
    expect(connections).toHaveLength(1);
  });

  it('a close while connect() is still loading wins: connect() rejects and opens nothing', async () => {
    let finishLoad: (value: string) => void = () => undefined;
    const { lifecycle, connections } = harness({ load: () => new Promise((resolve) => (finishLoad = resolve)) });
    const connecting = lifecycle.connect();
    await lifecycle.close();
    finishLoad('stored state');
    await expect(connecting).rejects.toMatchObject({ code: 'CLOSED' });
    expect(connections).toHaveLength(0);
    expect(lifecycle.state).toBe('closed');
  });

  it('closed -> connecting: connect() after close starts again', async () => {
    const { lifecycle, last } = harness();
    void lifecycle.connect().catch(() => undefined);
    await settle();
    await lifecycle.close();
    const again = lifecycle.connect();
    await settle();
    last().link.ready();
    await again;
    expect(lifecycle.state).toBe('connected');
  });

  it('ignores reports from a connection it no longer holds', async () => {
    const { clock, lifecycle, errors, connections, last } = harness();
    void lifecycle.connect();
    await settle();
    const old = last();
    old.link.dropped(unavailable());
    clock.advance(50);
    expect(old.link.current).toBe(false);
    expect(last().link.current).toBe(true);
    old.link.ready();
    old.link.dropped(unavailable());
    expect(lifecycle.state).toBe('reconnecting');
    expect(errors).toHaveLength(1);
    expect(clock.pendingTimers()).toEqual([]);
    expect(connections).toHaveLength(2);
  });

  it('with nothing to connect for, connect() resolves as connected; update() opens and stops as work comes and goes', async () => {
    const { clock, lifecycle, states, control, connections, last } = harness();
    control.work = false;
    await lifecycle.connect();
    expect(lifecycle.state).toBe('connected');
    expect(connections).toHaveLength(0);

    control.work = true;
    await lifecycle.update();
    expect(lifecycle.state).toBe('connecting');
    last().link.ready();
    last().link.dropped(unavailable());
    expect(lifecycle.state).toBe('reconnecting');

    control.work = false;
    await lifecycle.update();
    expect(lifecycle.state).toBe('connected');
    expect(clock.pendingTimers()).toEqual([]);
    expect(connections).toHaveLength(1);
    expect(states).toEqual(['connected', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('a retry that finds no work left settles as connected without a connection', async () => {
    const { clock, lifecycle, control, connections, last, connecting } = harness();
    void lifecycle.connect();
    await settle();
    last().link.dropped(unavailable());
    const waiting = connecting();
    control.work = false;
    clock.advance(50);
    await settle();
    expect(waiting.value).toBe('resolved');
    expect(lifecycle.state).toBe('connected');
    expect(connections).toHaveLength(1);
  });

  it('update() before connect(), or after close, opens nothing', async () => {
    const { lifecycle, connections } = harness();
    await lifecycle.update();
    expect(connections).toHaveLength(0);
    await lifecycle.close();
    await lifecycle.update();
    expect(connections).toHaveLength(0);
    expect(lifecycle.state).toBe('closed');
  });

  it('a start that throws counts as a drop, and a connection that dropped during start is stopped', async () => {
    let failStart = true;
    const opened: FakeConnection[] = [];
    const { clock, lifecycle, errors } = harness({
      start(loaded, link) {
        if (failStart) {
          failStart = false;
          throw new FosspushError('UNAVAILABLE', 'no route to host');
        }
        const connection = { loaded, link, stopped: false };
        opened.push(connection);
        link.dropped(unavailable());
        return connection;
      },
    });
    void lifecycle.connect();
    await settle();
    expect(errors.map((error) => error.message)).toEqual(['no route to host']);
    expect(lifecycle.state).toBe('reconnecting');
    clock.advance(50);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.stopped).toBe(true);
    expect(lifecycle.connection).toBeUndefined();
  });

  it('a stop that fails on a dropped connection is reported as an error, not thrown', async () => {
    const { lifecycle, errors, last } = harness({
      stop() {
        throw new Error('socket already gone');
      },
    });
    void lifecycle.connect();
    await settle();
    last().link.dropped(unavailable());
    await settle();
    expect(errors.map((error) => error.message)).toEqual(['the server went away', 'socket already gone']);
    expect(lifecycle.state).toBe('reconnecting');
  });

  it('with no work, calls itself connected only once the probe answers, and retries a failed probe', async () => {
    let answers = false;
    let probes = 0;
    const { clock, lifecycle, states, errors, connections, control, connecting } = harness({
      probe: async () => {
        probes++;
        if (!answers) throw unavailable();
      },
    });
    control.work = false;
    const outcome = connecting();
    await settle();
    expect(lifecycle.state).toBe('reconnecting');
    expect(errors.map((error) => error.code)).toEqual(['UNAVAILABLE']);
    expect(outcome.value).toBeUndefined();
    answers = true;
    clock.advance(50);
    await settle();
    expect(probes).toBe(2);
    expect(outcome.value).toBe('resolved');
    expect(states).toEqual(['connecting', 'reconnecting', 'connected']);
    expect(connections).toHaveLength(0);
  });
});
