import { describe, expect, it } from 'vitest';
import { fakeToken, fakeTransport, recordingTimers } from '../../test/fake-transport.js';
import { Constants, MulticastResult, Result } from '../gcm/constants.js';
import { Message } from '../gcm/message.js';
import { Sender } from '../gcm/sender.js';
import { getMessaging } from './messaging.js';

function setup(answer?: Parameters<typeof fakeTransport>[0]) {
  const transport = fakeTransport(answer);
  const options = { transports: { webpush: transport }, runtime: { timers: recordingTimers() }, topics: { kind: 'memory' as const } };
  return { transport, messaging: getMessaging(options), options };
}

const sentTo = (transport: ReturnType<typeof fakeTransport>) => transport.calls.map((call) => Number(call.token.endpoint.split('/').pop())).sort();

describe('topics, firebase-admin shape', () => {
  it('subscribeToTopic answers a MessagingTopicManagementResponse with indexed errors', async () => {
    const { messaging } = setup();
    const response = await messaging.subscribeToTopic([fakeToken(1), 'junk', fakeToken(2)], 'news');
    expect(response).toMatchObject({ successCount: 2, failureCount: 1, errors: [{ index: 1, error: { code: 'messaging/invalid-registration-token' } }] });
    expect(await messaging.subscribeToTopic(fakeToken(3), '/topics/news')).toMatchObject({ successCount: 1, failureCount: 0, errors: [] });
    await expect(messaging.subscribeToTopic([fakeToken(1)], 'no spaces')).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    await expect(messaging.unsubscribeFromTopic([], 'news')).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
  });

  it('send({ topic }) reaches every member once, and unsubscribed tokens no more', async () => {
    const { messaging, transport } = setup();
    await messaging.subscribeToTopic([fakeToken(1), fakeToken(2), fakeToken(3)], 'news');
    await messaging.unsubscribeFromTopic([fakeToken(2)], 'news');
    const id = await messaging.send({ topic: 'news', data: { headline: 'x' } });
    expect(id).toMatch(/^projects\/fosspush\/messages\/\d+$/);
    expect(sentTo(transport)).toEqual([1, 3]);
  });

  it('send({ condition }) reaches the set the condition names; a malformed one is invalid-argument', async () => {
    const { messaging, transport } = setup();
    await messaging.subscribeToTopic([fakeToken(1), fakeToken(2), fakeToken(3)], 'a');
    await messaging.subscribeToTopic([fakeToken(2)], 'b');
    await messaging.subscribeToTopic([fakeToken(3), fakeToken(4)], 'c');
    await messaging.send({ condition: "'a' in topics && ('b' in topics || 'c' in topics)", data: { k: 'v' } });
    expect(sentTo(transport)).toEqual([2, 3]);
    await expect(messaging.send({ condition: "'a' in topics &&" })).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
    await expect(messaging.send({ condition: "'a' in topics || 'b' in topics || 'c' in topics || 'd' in topics || 'e' in topics || 'f' in topics" })).rejects.toMatchObject({
      code: 'messaging/invalid-argument',
    });
  });

  it('drops a token that comes back NotRegistered from every topic', async () => {
    const { messaging, transport } = setup((call) => (call.token.endpoint.endsWith('/2') ? { code: 'GONE' } : 'ok'));
    await messaging.subscribeToTopic([fakeToken(1), fakeToken(2)], 'a');
    await messaging.subscribeToTopic([fakeToken(2)], 'b');
    await messaging.send({ topic: 'a' });
    transport.calls.length = 0;
    await messaging.send({ condition: "'a' in topics || 'b' in topics" });
    expect(sentTo(transport)).toEqual([1]);
  });
});

describe('topics, node-gcm shape', () => {
  it('{ topic }, { to: "/topics/x" } and { condition } fan out through a shared store and answer { message_id }', async () => {
    const { transport } = setup();
    const { createMemoryStore } = await import('@fosspush/core');
    const store = createMemoryStore();
    const options = { transports: { webpush: transport }, topics: { kind: 'custom' as const, store } };
    await getMessaging(options).subscribeToTopic([fakeToken(1), fakeToken(2)], 'news');
    await getMessaging(options).subscribeToTopic([fakeToken(2)], 'sport');
    const sender = new Sender(options);
    const message = new Message({ data: { a: 'b' } });
    expect(await sender.send(message, { topic: 'news' })).toEqual({ message_id: expect.any(Number) });
    expect(sentTo(transport)).toEqual([1, 2]);
    transport.calls.length = 0;
    await sender.send(message, { to: '/topics/sport' });
    expect(sentTo(transport)).toEqual([2]);
    transport.calls.length = 0;
    const answer = await new Promise((resolve) => sender.send(message, { condition: "'news' in topics && !('sport' in topics)" }, (_error, response) => resolve(response)));
    expect(answer).toEqual({ message_id: expect.any(Number) });
    expect(sentTo(transport)).toEqual([1]);
  });

  it('exports Constants, Result and MulticastResult as node-gcm has them', () => {
    expect(Constants.ERROR_NOT_REGISTERED).toBe('NotRegistered');
    expect(Constants.JSON_MESSAGE_ID).toBe('message_id');
    const multicast = new MulticastResult();
    multicast.success = 1;
    multicast.failure = 2;
    multicast.addResult(new Result());
    expect(multicast.getTotal()).toBe(3);
    expect(multicast.results[0]).toEqual({ messageId: undefined, canonicalRegistrationId: undefined, errorCode: undefined });
  });
});
