import {
  type Channel,
  type ChannelEvents,
  type ChannelState,
  type ChannelStateStore,
  createEmitter,
  createPushMessage,
  FosspushError,
  type PushMessage,
  type SubscribeRequest,
} from '@fosspush/core';

/**
 * An in-memory Channel for daemon unit tests: the test plays the push server. Subscriptions
 * live in the channel state store the daemon hands it, as a real channel's would.
 */
export interface FakeChannel extends Channel {
  readonly acks: string[];
  readonly subscribed: Map<string, SubscribeRequest>;
  push(channelRegistrationId: string, message?: Partial<PushMessage>): PushMessage;
  failConnects: number;
  /** Set: connect() fails with it as a channel does on an error no retry fixes (state `failed`). */
  fatal: FosspushError | undefined;
  /** connect() calls so far. */
  connects: number;
  /** Renews a subscription's endpoint mid-run, as a channel whose endpoints expire does (`subscriptionChanged`). */
  renew(channelRegistrationId: string, endpoint: string): void;
}

export function createFakeChannel(state: ChannelStateStore): FakeChannel {
  const events = createEmitter<ChannelEvents>();
  let current: ChannelState = 'idle';
  const setState = (next: ChannelState) => {
    current = next;
    events.emit('state', next);
  };
  const renewed = new Map<string, string>();
  const channel: FakeChannel = {
    kind: 'fake',
    acks: [],
    subscribed: new Map(),
    failConnects: 0,
    fatal: undefined,
    connects: 0,
    get state() {
      return current;
    },
    get failure() {
      return current === 'failed' ? channel.fatal : undefined;
    },
    on: events.on,
    async connect() {
      channel.connects++;
      if (channel.fatal) {
        setState('failed');
        throw channel.fatal;
      }
      if (channel.failConnects > 0) {
        channel.failConnects--;
        throw new FosspushError('UNAVAILABLE', 'fake server down');
      }
      setState('connected');
    },
    async close() {
      setState('closed');
    },
    async subscribe(request) {
      if (current !== 'connected') throw new FosspushError('UNAVAILABLE', 'not connected');
      let id = request.registrationId;
      if (id === undefined) {
        const next = Number((await state.get('counter')) ?? '0') + 1;
        await state.set('counter', String(next));
        id = `sub${next}`;
      } else if ((await state.get(`sub/${id}`)) === undefined) {
        throw new FosspushError('NOT_FOUND', `unknown subscription ${id}`);
      }
      await state.set(`sub/${id}`, request.vapidPublicKey ?? '');
      channel.subscribed.set(id, request);
      return { registrationId: id, endpoint: renewed.get(id) ?? `https://push.example/p/${id}`, extras: {} };
    },
    async unsubscribe(id) {
      channel.subscribed.delete(id);
      await state.delete(`sub/${id}`);
    },
    async ack(_registrationId, messageId) {
      channel.acks.push(messageId);
    },
    renew(channelRegistrationId, endpoint) {
      renewed.set(channelRegistrationId, endpoint);
      events.emit('subscriptionChanged', { registrationId: channelRegistrationId, endpoint, extras: {} });
    },
    push(channelRegistrationId, message = {}) {
      const full = createPushMessage({ payload: new Uint8Array([1, 2, 3]), ttlSeconds: 60, ...message });
      events.emit('message', { registrationId: channelRegistrationId, message: full });
      return full;
    },
  };
  return channel;
}
