import { isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { fakeToken, fakeTransport, recordingTimers } from '../../test/fake-transport.js';
import { getMessaging } from './messaging.js';

function setup(answer?: Parameters<typeof fakeTransport>[0]) {
  const transport = fakeTransport(answer);
  return { transport, messaging: getMessaging({ transports: { webpush: transport }, runtime: { timers: recordingTimers() } }) };
}

const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe('getMessaging (firebase-admin shape)', () => {
  it('send resolves with the message id', async () => {
    const { messaging } = setup(() => 'abc');
    expect(await messaging.send({ token: fakeToken(1), data: { a: 'b' } })).toBe('abc');
  });

  it('send rejects with messaging/* codes, the FosspushError as cause', async () => {
    const { messaging } = setup(() => ({ code: 'GONE' }));
    const error = await messaging.send({ token: fakeToken(1) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'messaging/registration-token-not-registered', codePrefix: 'messaging' });
    expect(error).toBeInstanceOf(Error);
    expect(isFosspushError((error as Error).cause, 'GONE')).toBe(true);
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'messaging/registration-token-not-registered', message: 'scripted GONE' });
    const invalid = await messaging.send({ token: 'nope' }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ code: 'messaging/invalid-registration-token' });
  });

  it('sendEachForMulticast answers a BatchResponse in token order', async () => {
    const { messaging } = setup((call) => (call.token.endpoint.endsWith('/2') ? { code: 'NOT_FOUND' } : `id${call.token.endpoint.slice(-1)}`));
    const batch = await messaging.sendEachForMulticast({ tokens: [fakeToken(1), fakeToken(2), fakeToken(3)], data: { a: 'b' } });
    expect(batch.successCount).toBe(2);
    expect(batch.failureCount).toBe(1);
    expect(batch.responses.map((r) => r.messageId ?? r.error?.code)).toEqual(['id1', 'messaging/registration-token-not-registered', 'id3']);
    await expect(messaging.sendEachForMulticast({ tokens: [] })).rejects.toMatchObject({ code: 'messaging/invalid-argument' });
  });

  it('sendEach sends each its own message, and fails only the bad ones', async () => {
    const { messaging, transport } = setup();
    const batch = await messaging.sendEach([
      { token: fakeToken(1), data: { n: '1' } },
      { token: fakeToken(2), data: { n: 'x'.repeat(5000) } },
      { token: fakeToken(3), data: { n: '3' } },
    ]);
    expect(batch.responses.map((r) => r.success)).toEqual([true, false, true]);
    expect(batch.responses[1]?.error?.code).toBe('messaging/payload-size-limit-exceeded');
    expect(transport.calls.map((call) => decode(call.message.plaintext).data.n)).toEqual(['1', '3']);
  });

  it('maps android and webpush config to Topic, Urgency and TTL, webpush first', async () => {
    const { messaging, transport } = setup();
    await messaging.send({ token: fakeToken(1), android: { collapseKey: 'inbox', priority: 'high', ttl: 1500 } });
    await messaging.send({
      token: fakeToken(2),
      android: { collapseKey: 'inbox', priority: 'high', ttl: 1500 },
      webpush: { headers: { Topic: 'news', Urgency: 'low', TTL: '30' } },
    });
    expect(transport.calls.map((call) => [call.message.topic, call.message.urgency, call.message.ttlSeconds])).toEqual([
      ['inbox', 'high', 2],
      ['news', 'low', 30],
    ]);
  });

  it('merges data and notification from the top level, android and webpush', async () => {
    const { messaging, transport } = setup();
    await messaging.send({
      token: fakeToken(1),
      data: { a: '1', b: '1' },
      notification: { title: 'T' },
      android: { data: { b: '2' } },
      webpush: { notification: { body: 'B' } },
    });
    expect(decode(transport.calls[0]?.message.plaintext)).toEqual({ data: { a: '1', b: '2' }, notification: { title: 'T', body: 'B' } });
  });

  it("carries firebase-admin's typed notification fields to the app as strings, and webpush.fcmOptions.link as link", async () => {
    const { messaging, transport } = setup();
    await messaging.send({
      token: fakeToken(1),
      android: { directBootOk: true, notification: { notificationCount: 3, sticky: true, vibrateTimingsMillis: [100, 200], eventTimestamp: new Date(0) } },
      webpush: {
        notification: { requireInteraction: true, actions: [{ action: 'open', title: 'Open' }] },
        fcmOptions: { link: 'https://example.org/article' },
      },
      apns: { payload: { aps: { badge: 1 } } },
      fcmOptions: { analyticsLabel: 'x' },
    });
    expect(decode(transport.calls[0]?.message.plaintext).notification).toEqual({
      notificationCount: '3',
      sticky: 'true',
      vibrateTimingsMillis: '[100,200]',
      eventTimestamp: '1970-01-01T00:00:00.000Z',
      requireInteraction: 'true',
      actions: '[{"action":"open","title":"Open"}]',
      link: 'https://example.org/article',
    });
  });

  it('passes dryRun to every send', async () => {
    const { messaging, transport } = setup();
    await messaging.sendEachForMulticast({ tokens: [fakeToken(1), fakeToken(2)] }, true);
    expect(transport.calls.map((call) => call.message.dryRun)).toEqual([true, true]);
  });


  it('streams a multicast from an async iterable', async () => {
    const { messaging } = setup();
    async function* tokens() {
      for (let i = 0; i < 5; i++) yield fakeToken(i);
    }
    const seen: number[] = [];
    for await (const entry of messaging.sendEachForMulticastStream({ tokens: tokens(), data: { a: 'b' } })) {
      expect(entry.response.success).toBe(true);
      seen.push(entry.index);
    }
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4]);
  });
});
