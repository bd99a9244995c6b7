import { describe, expect, it } from 'vitest';
import { fakeToken, fakeTransport, recordingTimers } from '../test/fake-transport.js';
import { createSendEngine } from './engine.js';
import { createOutgoingMessage } from './outgoing.js';

const message = createOutgoingMessage({ data: { hello: 'world' } });
const half = { bytes: () => Uint8Array.of(0x80, 0, 0, 0) };

function setup(answer: Parameters<typeof fakeTransport>[0], retry = {}) {
  const transport = fakeTransport(answer);
  const timers = recordingTimers();
  const engine = createSendEngine({ transports: { webpush: transport }, runtime: { random: half, timers }, ...retry });
  return { transport, timers, engine };
}

describe('send engine', () => {
  it('retries transient failures with doubling jittered backoff, then succeeds', async () => {
    const { engine, transport, timers } = setup((_, attempt) => (attempt < 3 ? { code: 'UNAVAILABLE' } : 'ok'));
    expect(await engine.deliver(message, fakeToken(1))).toEqual({ ok: true, messageId: 'ok' });
    expect(transport.calls).toHaveLength(4);
    expect(timers.waits).toEqual([500, 1000, 2000]);
  });

  it('gives up after `retries` and reports the last error', async () => {
    const { engine, transport } = setup(() => ({ code: 'UNAVAILABLE' }));
    const outcome = await engine.deliver(message, fakeToken(1), { retries: 2 });
    expect(outcome.ok === false && outcome.error.code).toBe('UNAVAILABLE');
    expect(transport.calls).toHaveLength(3);
  });

  it.each(['NOT_FOUND', 'GONE', 'PAYLOAD_TOO_LARGE', 'UNAUTHENTICATED', 'INVALID_REQUEST'] as const)('never retries %s', async (code) => {
    const { engine, transport, timers } = setup(() => ({ code }));
    const outcome = await engine.deliver(message, fakeToken(1));
    expect(outcome.ok === false && outcome.error.code).toBe(code);
    expect(transport.calls).toHaveLength(1);
    expect(timers.waits).toEqual([]);
  });

  it('waits at least as long as Retry-After asks', async () => {
    const { engine, timers } = setup((_, attempt) => (attempt === 0 ? { code: 'RATE_LIMITED', retryAfterMs: 7000 } : 'ok'));
    expect((await engine.deliver(message, fakeToken(1))).ok).toBe(true);
    expect(timers.waits).toEqual([7000]);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    const { engine, transport, timers } = setup(() => ({ code: 'UNAVAILABLE', retryAfterMs: 3_600_000 }));
    const outcome = await engine.deliver(message, fakeToken(1));
    expect(outcome.ok === false && outcome.error.code).toBe('UNAVAILABLE');
    expect(transport.calls).toHaveLength(1);
    expect(timers.waits).toEqual([]);
  });

  it('fails a malformed token as INVALID_TOKEN without calling the transport', async () => {
    const { engine, transport } = setup(() => 'ok');
    for (const bad of ['nonsense', 'fp1.!!!', '{"endpoint":"https://x"}', '{not json']) {
      const outcome = await engine.deliver(message, bad);
      expect(outcome.ok === false && outcome.error.code).toBe('INVALID_TOKEN');
    }
    expect(transport.calls).toEqual([]);
  });

  it('accepts a PushSubscription object or its JSON text', async () => {
    const { engine, transport } = setup(() => 'ok');
    const keys = { p256dh: `BA${'A'.repeat(85)}`, auth: 'AAAAAAAAAAAAAAAAAAAAAA' };
    const subscription = { endpoint: 'https://push.example/p/sub', keys };
    expect((await engine.deliver(message, subscription)).ok).toBe(true);
    expect((await engine.deliver(message, JSON.stringify(subscription))).ok).toBe(true);
    expect(transport.calls.map((call) => call.token.endpoint)).toEqual([subscription.endpoint, subscription.endpoint]);
  });

  it('says when a channel has no route configured', async () => {
    const engine = createSendEngine({ transports: {} });
    const outcome = await engine.deliver(message, fakeToken(1));
    expect(outcome.ok === false && outcome.error.code).toBe('INVALID_REQUEST');
    expect(outcome.ok === false && outcome.error.message).toMatch(/webpush/);
  });

  it('refuses a concurrency that is not a positive integer', () => {
    expect(() => createSendEngine({ transports: {}, concurrency: 0 })).toThrow(/concurrency/);
  });
});

describe('retry settings', () => {
  it.each([{ retries: -1 }, { retries: Number.NaN }, { backoffMs: 1.5 }, { maxRetryAfterMs: -5 }])('refuses %o', (retry) => {
    expect(() => createSendEngine({ transports: {}, ...retry })).toThrow(/non-negative integer/);
  });
});
