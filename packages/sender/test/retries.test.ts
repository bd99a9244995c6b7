import { generateVapidKeys, type PushSubscriptionJSON, type VapidKeys } from '@fosspush/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../src/gcm/message.js';
import { Sender } from '../src/gcm/sender.js';
import { type Fault, type FaultProxy, startFaultProxy } from './rigs/fault-proxy.js';
import { startWebPushTesting, type WebPushTestingService } from './rigs/web-push-testing.js';

/** Faults injected by a real proxy in front of a real push service (web-push-testing). */
describe('retries and connection reuse over real HTTP', () => {
  let service: WebPushTestingService;
  let keys: VapidKeys;
  let proxy: FaultProxy | undefined;
  let sender: Sender | undefined;

  beforeAll(async () => {
    service = await startWebPushTesting();
    keys = await generateVapidKeys();
  });
  afterEach(async () => {
    await sender?.close();
    await proxy?.close();
  });
  afterAll(async () => {
    await service?.stop();
  });

  async function setup(plan: (index: number) => Fault, options: { concurrency?: number } = {}) {
    proxy = await startFaultProxy(service.url, plan);
    sender = new Sender({ vapid: { keys, subject: 'mailto:ops@example.org' }, backoffMs: 5, ...options });
    const subscription = await service.subscribe(keys.publicKey);
    const token: PushSubscriptionJSON = { endpoint: proxy.via(subscription.endpoint), keys: subscription.keys };
    return { subscription, token, proxy, sender };
  }

  it('retries injected 503s and network resets, then delivers exactly once', async () => {
    const faults: Fault[] = [{ status: 503 }, 'reset', { status: 502 }];
    const { subscription, token, proxy, sender } = await setup((n) => faults[n] ?? 'pass');
    const response = await sender.send(new Message({ data: { attempt: 'x' } }), token, { retries: 5 });
    expect(response.results).toEqual([{ message_id: expect.any(String) }]);
    expect(proxy.arrivals).toHaveLength(4);
    expect(await service.notifications(subscription.clientHash)).toHaveLength(1);
  });

  it('waits as long as Retry-After asks before trying again', async () => {
    const { token, proxy, sender } = await setup((n) => (n === 0 ? { status: 503, retryAfter: '1' } : 'pass'));
    expect((await sender.send(new Message(), token)).success).toBe(1);
    const [first = 0, second = 0] = proxy.arrivals;
    expect(second - first).toBeGreaterThanOrEqual(990);
  });

  it('gives up with Unavailable after the retries run out', async () => {
    const { subscription, token, proxy, sender } = await setup(() => ({ status: 503 }));
    expect((await sender.send(new Message(), token, { retries: 2 })).results).toEqual([{ error: 'Unavailable' }]);
    expect(proxy.arrivals).toHaveLength(3);
    expect(await service.notifications(subscription.clientHash)).toEqual([]);
  });

  it.each([404, 410])('never retries %i: the token is NotRegistered', async (status) => {
    const { token, proxy, sender } = await setup(() => ({ status }));
    expect((await sender.send(new Message(), token, { retries: 5 })).results).toEqual([{ error: 'NotRegistered' }]);
    expect(proxy.arrivals).toHaveLength(1);
  });

  it('reuses keep-alive connections: never more than the concurrency', async () => {
    const { subscription, token, proxy, sender } = await setup(() => 'pass', { concurrency: 4 });
    const response = await sender.send(new Message(), Array.from({ length: 40 }, () => token));
    expect(response.success).toBe(40);
    expect(proxy.arrivals).toHaveLength(40);
    expect(proxy.connections).toBeLessThanOrEqual(4);
    expect(await service.notifications(subscription.clientHash)).toHaveLength(40);
  });
});
