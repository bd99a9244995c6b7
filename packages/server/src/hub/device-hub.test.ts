import {
  type Broker,
  createMemoryBroker,
  createMemoryStore,
  createPushMessage,
  type DeviceSink,
  isFosspushError,
  manualClock,
  resolveRuntime,
  type Store,
  type StoredMessage,
} from '@fosspush/core';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createSubscriptions, type Subscriptions } from '../subscriptions.js';
import { createDeviceHub } from './device-hub.js';

function fakeSink() {
  const sent: StoredMessage[] = [];
  const closed: string[] = [];
  const sink: DeviceSink = {
    // What the device is sent: the message with the cursor the hub gives it.
    send(message, cursor) {
      sent.push(cursor === undefined ? message : { ...message, seq: cursor });
      return true;
    },
    close(reason) {
      closed.push(reason);
    },
  };
  return { sink, sent, closed };
}

describe('createDeviceHub', () => {
  let clock: ReturnType<typeof manualClock>;
  let store: Store;
  let broker: Broker;
  let subscriptions: Subscriptions;
  let setId: string;
  let pushId: string;

  const runtime = () => resolveRuntime({ clock });
  const hub = (maxUnackedPerDevice = 1000) => createDeviceHub({ store, broker, subscriptions, runtime: runtime(), maxUnackedPerDevice });
  /** Enqueues and announces a message, as the push handler does. */
  const deliver = async (ttlSeconds = 60, topic?: string) => {
    const { message } = await store.enqueue(pushId, createPushMessage({ payload: new Uint8Array([1]), ttlSeconds, ...(topic ? { topic } : {}) }, { clock }));
    await broker.publish(setId, { type: 'message', message });
    return message;
  };

  beforeEach(async () => {
    clock = manualClock(1_700_000_000_000);
    store = createMemoryStore({ runtime: { clock } });
    broker = createMemoryBroker();
    subscriptions = createSubscriptions({
      store,
      runtime: runtime(),
      maxSubscriptionsPerSet: 10,
      unsubscribedRetentionMs: 1000,
      registrationCacheMs: 0,
      pendingSetTtlMs: 3_600_000,
      idleSetTtlMs: 86_400_000,
      maxSetsPerAddress: 10,
    });
    ({ setId, pushId } = await subscriptions.create({ address: 'test' }));
  });

  it('refuses an unknown set with NOT_FOUND', async () => {
    await expect(hub().open('A'.repeat(22), fakeSink().sink)).rejects.toSatisfy((e) => isFosspushError(e, 'NOT_FOUND'));
  });

  it('replays what is queued, then streams live messages', async () => {
    const queued = await deliver();
    const { sink, sent } = fakeSink();
    await hub().open(setId, sink);
    await vi.waitFor(() => expect(sent.map((m) => m.id)).toEqual([queued.id]));
    const live = await deliver();
    await vi.waitFor(() => expect(sent.map((m) => m.id)).toEqual([queued.id, live.id]));
  });

  it('keeps at most maxUnacked messages on the wire and sends the rest as acks come in', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await deliver()).id);
    const { sink, sent } = fakeSink();
    const session = await hub(2).open(setId, sink);
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    ids.push((await deliver()).id);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toHaveLength(2);
    for (let acked = 0; acked < ids.length; acked++) {
      await vi.waitFor(() => expect(sent.length).toBeGreaterThan(acked));
      await session.ack(sent[acked]?.id as string);
    }
    expect(sent.map((m) => m.id)).toEqual(ids);
    expect(await store.listMessages({ owner: setId })).toEqual([]);
  });

  it('sends a live message announced out of seq order, which a cursor alone would skip', async () => {
    const { sink, sent } = fakeSink();
    await hub().open(setId, sink);
    const first = await store.enqueue(pushId, createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60 }, { clock }));
    const second = await store.enqueue(pushId, createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60 }, { clock }));
    // Two nodes: the later enqueue is announced first.
    await broker.publish(setId, { type: 'message', message: second.message });
    await broker.publish(setId, { type: 'message', message: first.message });
    await vi.waitFor(() => expect(new Set(sent.map((m) => m.id))).toEqual(new Set([first.message.id, second.message.id])));
    expect(sent).toHaveLength(2);
  });

  it('gives an out-of-order live message a resume cursor that cannot skip the one before it', async () => {
    const devices = hub();
    const { sink, sent } = fakeSink();
    const session = await devices.open(setId, sink);
    const earlier = await deliver();
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    await session.ack(earlier.id);
    // Two nodes: the later enqueue is announced first, and the device leaves before the
    // earlier one's announcement arrives.
    const first = await store.enqueue(pushId, createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60 }, { clock }));
    const second = await store.enqueue(pushId, createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60 }, { clock }));
    await broker.publish(setId, { type: 'message', message: second.message });
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    session.close();
    // The device resumes after the highest seq it was sent (docs/device-wire.md section 5).
    const resumeAfter = Math.max(...sent.map((m) => m.seq));
    expect(resumeAfter).toBeLessThan(first.message.seq);
    const again = fakeSink();
    await devices.open(setId, again.sink, resumeAfter);
    await vi.waitFor(() => expect(again.sent.map((m) => m.id)).toEqual([first.message.id, second.message.id]));
  });

  it('writes TTL 0 only to a device connected when it arrives', async () => {
    await deliver(0);
    const { sink, sent } = fakeSink();
    await hub().open(setId, sink);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toEqual([]);
    const now = await deliver(0);
    await vi.waitFor(() => expect(sent.map((m) => m.id)).toEqual([now.id]));
  });

  it('does not let a message that expired unacked hold the window shut', async () => {
    const { sink, sent } = fakeSink();
    await hub(1).open(setId, sink);
    await deliver(5);
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    clock.advance(10_000);
    const next = await deliver(60);
    await vi.waitFor(() => expect(sent.map((m) => m.id)).toContain(next.id));
  });

  it('ignores an ack for another set, and frees the slot when anyone acks by id', async () => {
    const other = await subscriptions.create({ address: 'test' });
    const foreign = await store.enqueue(other.pushId, createPushMessage({ payload: new Uint8Array(1), ttlSeconds: 60 }, { clock }));
    const devices = hub(1);
    const { sink, sent } = fakeSink();
    const session = await devices.open(setId, sink);
    await session.ack(foreign.message.id);
    expect(await store.getMessage(foreign.message.id)).toBeDefined();
    const first = await deliver();
    const second = await deliver();
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(await devices.acknowledge(first.id)).toBe(true);
    await vi.waitFor(() => expect(sent.map((m) => m.id)).toEqual([first.id, second.id]));
  });

  it('closes every stream on closeAll and stops delivering', async () => {
    const devices = hub();
    const { sink, sent, closed } = fakeSink();
    await devices.open(setId, sink);
    expect(devices.sessionCount).toBe(1);
    devices.closeAll('shutting down');
    expect(closed).toEqual(['shutting down']);
    expect(devices.sessionCount).toBe(0);
    await deliver();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(sent).toEqual([]);
  });
});
