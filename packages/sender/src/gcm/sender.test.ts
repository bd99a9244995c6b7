import { type FosspushError, isFosspushError } from '@fosspush/core';
import { describe, expect, it } from 'vitest';
import { fakeToken, fakeTransport, recordingTimers } from '../../test/fake-transport.js';
import { Message } from './message.js';
import type { GcmResponse } from './response.js';
import { Sender } from './sender.js';

function setup(answer?: Parameters<typeof fakeTransport>[0], concurrency = 50) {
  const transport = fakeTransport(answer);
  const sender = new Sender({ transports: { webpush: transport }, runtime: { timers: recordingTimers() }, concurrency });
  return { transport, sender };
}

const gone = new Set(['https://push.example/p/2', 'https://push.example/p/4']);

describe('Sender (node-gcm shape)', () => {
  it('answers in GCM response shape, results in token order, errors by GCM name', async () => {
    const { sender } = setup((call) => (gone.has(call.token.endpoint) ? { code: 'NOT_FOUND' } : `id-${call.token.endpoint.slice(-1)}`));
    const tokens = [fakeToken(1), fakeToken(2), 'garbage', fakeToken(4), fakeToken(5)];
    const response = await sender.send(new Message({ data: { a: 'b' } }), { registrationTokens: tokens });
    expect(response).toEqual({
      multicast_id: expect.any(Number),
      success: 2,
      failure: 3,
      canonical_ids: 0,
      results: [{ message_id: 'id-1' }, { error: 'NotRegistered' }, { error: 'InvalidRegistration' }, { error: 'NotRegistered' }, { message_id: 'id-5' }],
    });
    expect(Number.isSafeInteger(response.multicast_id) && response.multicast_id > 0).toBe(true);
  });

  it('accepts every node-gcm recipient form', async () => {
    const { sender, transport } = setup();
    const message = new Message();
    await sender.send(message, fakeToken(1));
    await sender.send(message, [fakeToken(2), fakeToken(3)]);
    await sender.send(message, { registrationIds: [fakeToken(4)] });
    await sender.send(message, { to: fakeToken(5) });
    expect(transport.calls.map((call) => call.token.endpoint.slice(-1))).toEqual(['1', '2', '3', '4', '5']);
  });

  it('rejects a recipient it cannot read, and topics', async () => {
    const { sender } = setup();
    for (const recipient of [{ notificationKey: 'group' }, [], { nope: 1 }, 42]) {
      await expect(sender.send(new Message(), recipient as never)).rejects.toSatisfy((e) => isFosspushError(e, 'INVALID_REQUEST'));
    }
    await expect(sender.send({} as never, fakeToken(1))).rejects.toSatisfy((e) => isFosspushError(e, 'INVALID_MESSAGE'));
    await expect(sender.send(new Message(), fakeToken(1), { retries: Number.POSITIVE_INFINITY })).rejects.toSatisfy((e) =>
      isFosspushError(e, 'INVALID_REQUEST'),
    );
  });

  it('fails every token with MessageTooBig, InvalidTtl or InvalidDataKey before any send', async () => {
    const { sender, transport } = setup();
    const tokens = [fakeToken(1), fakeToken(2)];
    const cases: [Message, string][] = [
      [new Message({ data: { big: 'x'.repeat(4000) } }), 'MessageTooBig'],
      [new Message({ timeToLive: 2_419_201 }), 'InvalidTtl'],
      [new Message({ data: { from: 'me' } }), 'InvalidDataKey'],
    ];
    for (const [message, error] of cases) {
      const response = await sender.send(message, tokens);
      expect(response.results).toEqual([{ error }, { error }]);
      expect(response.failure).toBe(2);
    }
    expect(transport.calls).toEqual([]);
  });

  it('builds the message from the constructor and addData/addNotification', async () => {
    const { sender, transport } = setup();
    const message = new Message({ data: { a: '1' }, collapseKey: 'inbox', priority: 'high', timeToLive: 60 });
    message.addData('b', '2');
    message.addData({ c: '3' });
    message.addNotification('title', 'Hi');
    await sender.send(message, fakeToken(1));
    const [call] = transport.calls;
    expect(JSON.parse(new TextDecoder().decode(call?.message.plaintext))).toEqual({ data: { a: '1', b: '2', c: '3' }, notification: { title: 'Hi' } });
    expect(call?.message).toMatchObject({ topic: 'inbox', urgency: 'high', ttlSeconds: 60, dryRun: false });
  });

  it('takes retries as a number or { retries, backoff }, and sendNoRetry does not retry', async () => {
    const flaky = () => setup(() => ({ code: 'UNAVAILABLE' }));
    let run = flaky();
    await run.sender.send(new Message(), fakeToken(1), 2);
    expect(run.transport.calls).toHaveLength(3);
    run = flaky();
    await run.sender.send(new Message(), fakeToken(1), { retries: 1, backoff: 10 });
    expect(run.transport.calls).toHaveLength(2);
    run = flaky();
    const response = await run.sender.sendNoRetry(new Message(), fakeToken(1));
    expect(response.results).toEqual([{ error: 'Unavailable' }]);
    expect(run.transport.calls).toHaveLength(1);
  });

  it('calls a node-gcm callback with (null, response), or (error) for a bad call', async () => {
    const { sender } = setup();
    const response = await new Promise<GcmResponse | undefined>((resolve, reject) => {
      sender.send(new Message(), [fakeToken(1)], (error, value) => (error ? reject(error) : resolve(value)));
    });
    expect(response?.success).toBe(1);
    const error = await new Promise<FosspushError | null>((resolve) => {
      sender.send(new Message(), { notificationKey: 'x' } as never, { retries: 0 }, (e) => resolve(e));
    });
    expect(isFosspushError(error, 'INVALID_REQUEST')).toBe(true);
  });

  it('keeps no more than `concurrency` sends in flight', async () => {
    const { sender, transport } = setup(undefined, 5);
    const response = await sender.send(new Message(), Array.from({ length: 60 }, (_, i) => fakeToken(i)));
    expect(response.success).toBe(60);
    expect(transport.maxInFlight).toBe(5);
  });

  it('streams results from an async iterable of tokens', async () => {
    const { sender, transport } = setup((call) => (call.token.endpoint.endsWith('/3') ? { code: 'GONE' } : 'ok'), 4);
    async function* tokens() {
      for (let i = 0; i < 10; i++) yield fakeToken(i);
    }
    const results = [];
    for await (const entry of sender.sendStream(new Message(), tokens())) results.push(entry);
    expect(results).toHaveLength(10);
    expect(results.filter((entry) => 'error' in entry.result).map((entry) => entry.index)).toEqual([3]);
    expect(results.find((entry) => entry.index === 3)?.token).toBe(fakeToken(3));
    expect(transport.maxInFlight).toBeLessThanOrEqual(4);
  });
});
