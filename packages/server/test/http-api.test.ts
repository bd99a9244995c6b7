import { createVapidSigner, decryptWebPush, fromBase64Url, generateVapidKeys, manualClock, utf8Decode } from '@fosspush/core';
import { PUSH_LINK_RELATIONS } from '@fosspush/webpush/service';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PushServerOptions } from '../src/index.js';
import { connectDevice, push, type StartedServer, startServer, subscribe, type TestDevice } from './helpers.js';

let started: StartedServer | undefined;
const devices: TestDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
  await started?.server.close();
  started = undefined;
});

async function serve(options: PushServerOptions = {}): Promise<string> {
  started = await startServer(options);
  return started.url;
}
async function device(setUrl: string, options: Parameters<typeof connectDevice>[1] = {}): Promise<TestDevice> {
  const connected = await connectDevice(setUrl, options);
  devices.push(connected);
  return connected;
}

describe('POST /subscribe', () => {
  it('answers 201 with the subscription, its push resource and its set', async () => {
    const base = await serve();
    const response = await fetch(`${base}/subscribe`, { method: 'POST' });
    expect(response.status).toBe(201);
    const location = response.headers.get('location') ?? '';
    const link = response.headers.get('link') ?? '';
    expect(location).toMatch(new RegExp(`^${base}/set/[A-Za-z0-9_-]{22}/s/[A-Za-z0-9_-]{22}$`));
    expect(link).toContain(`rel="${PUSH_LINK_RELATIONS.push}"`);
    expect(link).toMatch(new RegExp(`<${base}/p/[A-Za-z0-9_-]{22}>; rel="urn:ietf:params:push"`));
    expect(link).toMatch(new RegExp(`<${base}/set/[A-Za-z0-9_-]{22}>; rel="urn:ietf:params:push:set"`));
  });

  it('adds to an existing set when the request carries its link, and refuses unknown sets', async () => {
    const base = await serve();
    const first = await subscribe(base);
    const second = await subscribe(base, { set: first.set });
    expect(second.set).toBe(first.set);
    expect(second.push).not.toBe(first.push);
    await expect(subscribe(base, { set: `${base}/set/AAAAAAAAAAAAAAAAAAAAAA` })).rejects.toThrow(/404/);
  });

  it('uses the public URL for every link behind a reverse proxy', async () => {
    const base = await serve({ publicUrl: 'https://push.example.org/' });
    const { subscription, push: pushUrl, set } = await subscribe(base);
    expect(subscription).toMatch(/^https:\/\/push\.example\.org\/set\//);
    expect(pushUrl).toMatch(/^https:\/\/push\.example\.org\/p\//);
    expect(set).toMatch(/^https:\/\/push\.example\.org\/set\//);
  });

  it('refuses a VAPID key that is not a P-256 point', async () => {
    const base = await serve();
    const response = await fetch(`${base}/subscribe`, {
      method: 'POST',
      headers: { 'content-type': 'application/webpush-options+json' },
      body: JSON.stringify({ vapid: `B${'A'.repeat(86)}` }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code?: unknown }).code).toBe('INVALID_KEY');
  });
});

describe('POST /p/<id>', () => {
  it('stores the message, answers 201 with its Location and TTL, and streams it to the device', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const dev = await device(sub.set);
    const response = await push(sub, 'hello device', { ttl: '999999999', urgency: 'high', topic: 'greeting' });
    expect(response.status).toBe(201);
    expect(response.headers.get('ttl')).toBe('2419200');
    // An empty body with its length, not a chunked one (one less frame for every push).
    expect(response.headers.get('content-length')).toBe('0');
    expect(response.headers.get('transfer-encoding')).toBeNull();
    const location = response.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${base}/m/[A-Za-z0-9_-]{22}$`));
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
    const [frame] = dev.messages;
    expect(frame?.id).toBe(location.split('/').pop());
    expect(frame?.urgency).toBe('high');
    expect(frame?.topic).toBe('greeting');
    expect(frame?.sub).toBe(sub.push.split('/').pop());
    const plaintext = await decryptWebPush(fromBase64Url(frame?.payload ?? ''), sub.keys);
    expect(utf8Decode(plaintext)).toBe('hello device');
  });

  it.each([
    ['a negative TTL', { ttl: '-5' }, 400, 'INVALID_TTL'],
    ['an unknown Urgency', { urgency: 'urgent' }, 400, 'INVALID_URGENCY'],
    ['a Topic of 33 characters', { topic: 'a'.repeat(33) }, 400, 'INVALID_TOPIC'],
    ['a Topic outside base64url', { topic: 'a+b' }, 400, 'INVALID_TOPIC'],
    ['the old aesgcm encoding', { 'content-encoding': 'aesgcm' }, 400, 'INVALID_REQUEST'],
    ['no Content-Encoding', { 'content-encoding': '' }, 400, 'INVALID_REQUEST'],
  ])('answers %s with %i %s', async (_name, headers, status, code) => {
    const base = await serve();
    const sub = await subscribe(base);
    const cleaned = Object.fromEntries(Object.entries({ ttl: '60', 'content-encoding': 'aes128gcm', ...headers }).filter(([, v]) => v !== ''));
    const body = new Uint8Array(200);
    body.set([0, 0, 16, 0, 65, 4], 16);
    const response = await fetch(sub.push, { method: 'POST', headers: cleaned, body });
    expect(response.status).toBe(status);
    expect(((await response.json()) as { code?: unknown }).code).toBe(code);
  });

  it('answers a body that is not aes128gcm with 400 and says why', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const response = await fetch(sub.push, { method: 'POST', headers: { ttl: '60', 'content-encoding': 'aes128gcm' }, body: 'plain text' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/aes128gcm/);
  });

  it('answers 413 above 4096 bytes, before reading them when Content-Length says so', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const response = await fetch(sub.push, { method: 'POST', headers: { ttl: '60', 'content-encoding': 'aes128gcm' }, body: new Uint8Array(4097) });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code?: unknown }).code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers 404 for an unknown push resource and 410 once it was unsubscribed', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    expect((await push({ ...sub, push: `${base}/p/AAAAAAAAAAAAAAAAAAAAAA` }, 'x')).status).toBe(404);
    expect((await fetch(sub.subscription, { method: 'DELETE' })).status).toBe(204);
    const gone = await push(sub, 'x');
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { code?: unknown }).code).toBe('GONE');
  });

  it('answers 429 with Retry-After when one push resource is flooded', async () => {
    const base = await serve({ rateLimits: { perSubscription: { ratePerSecond: 1, burst: 2 } } });
    const sub = await subscribe(base);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 3; i++) {
      const response = await push(sub, `m${i}`);
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([201, 201, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  });

  it('answers 429 per client address across all routes', async () => {
    const base = await serve({ rateLimits: { perIp: { ratePerSecond: 1, burst: 3 } } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${base}/healthz`)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('answers 405 with Allow for a wrong method, and 404 off the map', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    // GET is UnifiedPush discovery (test/unifiedpush.test.ts).
    const wrong = await fetch(sub.push, { method: 'PUT' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, GET');
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
  });
});

describe('restricted subscriptions (RFC 8292)', () => {
  it('answers 401 without a token, 403 for another key, 201 for the right one', async () => {
    const base = await serve();
    const keys = await generateVapidKeys();
    const other = await generateVapidKeys();
    const sub = await subscribe(base, { vapid: keys.publicKey });
    expect((await push(sub, 'anonymous')).status).toBe(401);
    const intruder = createVapidSigner({ keys: other, subject: 'mailto:intruder@example.org' });
    const forged = await push(sub, 'forged', { authorization: await intruder.authorization(sub.push) });
    expect(forged.status).toBe(403);
    const signer = createVapidSigner({ keys, subject: 'mailto:ops@example.org' });
    expect((await push(sub, 'signed', { authorization: await signer.authorization(sub.push) })).status).toBe(201);
  });
});

describe('store and forward', () => {
  it('keeps messages for an offline device, replays them in order, and resumes after a cursor', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    for (let i = 0; i < 5; i++) expect((await push(sub, `m${i}`)).status).toBe(201);
    const first = await device(sub.set);
    await vi.waitFor(() => expect(first.messages).toHaveLength(5));
    const seqs = first.messages.map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    await first.close();
    // Nothing was acked: a fresh connection gets all five again, one resuming after the 3rd only two.
    const resumed = await device(sub.set, { after: seqs[2] });
    await vi.waitFor(() => expect(resumed.messages.map((m) => m.seq)).toEqual(seqs.slice(3)));
  });

  it('never sends an acked message again', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    await push(sub, 'once');
    const first = await device(sub.set, { autoAck: true });
    await vi.waitFor(() => expect(first.messages).toHaveLength(1));
    await vi.waitFor(async () => expect((await fetch(`${base}/m/${first.messages[0]?.id}`)).status).toBe(404));
    await first.close();
    const again = await device(sub.set);
    await push(sub, 'twice');
    await vi.waitFor(() => expect(again.messages).toHaveLength(1));
    expect(again.messages[0]?.id).not.toBe(first.messages[0]?.id);
  });

  it('acknowledges by DELETE /m/<id> and reports queued messages on GET', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const location = (await push(sub, 'ack me', { ttl: '120' })).headers.get('location') ?? '';
    const status = await fetch(location);
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ status: 'queued', urgency: 'normal' });
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(location)).status).toBe(404);
    expect((await fetch(location, { method: 'DELETE' })).status).toBe(204);
    const dev = await device(sub.set);
    await push(sub, 'after');
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
  });

  it('replaces a queued message with the same Topic', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    await push(sub, 'score 1-0', { topic: 'score' });
    await push(sub, 'unrelated');
    await push(sub, 'score 2-0', { topic: 'score' });
    const dev = await device(sub.set);
    await vi.waitFor(() => expect(dev.messages).toHaveLength(2));
    const texts = await Promise.all(dev.messages.map(async (m) => utf8Decode(await decryptWebPush(fromBase64Url(m.payload), sub.keys))));
    expect(texts).toEqual(['unrelated', 'score 2-0']);
  });

  it('drops expired messages and delivers those still within their TTL', async () => {
    const clock = manualClock(Date.now());
    const base = await serve({ runtime: { clock } });
    const sub = await subscribe(base);
    await push(sub, 'short', { ttl: '10' });
    await push(sub, 'long', { ttl: '100' });
    clock.advance(20_000);
    const dev = await device(sub.set);
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
    expect(dev.messages[0]?.ttl).toBe(100);
  });

  it('delivers TTL 0 to a connected device and drops it for an offline one', async () => {
    const base = await serve();
    const online = await subscribe(base);
    const offline = await subscribe(base);
    const dev = await device(online.set);
    expect((await push(online, 'now', { ttl: '0' })).status).toBe(201);
    expect((await push(offline, 'now or never', { ttl: '0' })).status).toBe(201);
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
    const late = await device(offline.set);
    await push(offline, 'marker', { ttl: '60' });
    await vi.waitFor(() => expect(late.messages).toHaveLength(1));
    expect(late.messages[0]?.ttl).toBe(60);
  });

  it('carries every subscription of a set on one stream', async () => {
    const base = await serve();
    const a = await subscribe(base);
    const b = await subscribe(base, { set: a.set });
    const dev = await device(a.set);
    await push(a, 'for a');
    await push(b, 'for b');
    await vi.waitFor(() => expect(dev.messages).toHaveLength(2));
    expect(new Set(dev.messages.map((m) => m.sub))).toEqual(new Set([a.push.split('/').pop(), b.push.split('/').pop()]));
  });
});

describe('device streams', () => {
  it('refuses a stream for an unknown set with 404', async () => {
    const base = await serve();
    await expect(connectDevice(`${base}/set/AAAAAAAAAAAAAAAAAAAAAA`)).rejects.toThrow(/404/);
    expect((await fetch(`${base}/set/AAAAAAAAAAAAAAAAAAAAAA/events`)).status).toBe(404);
  });

  it('streams over Server-Sent Events too', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    await push(sub, 'over sse');
    const controller = new AbortController();
    const response = await fetch(`${sub.set}/events`, { signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('"type":"msg"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toMatch(/"type":"msg"/);
  });

  it('resumes an SSE stream after Last-Event-ID, which wins over a stale ?after=', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    // Queued before the device connects, so the replay sends each with its own seq (a live
    // message carries the stream's in-order cursor instead: docs/device-wire.md section 5).
    for (let i = 0; i < 3; i++) await push(sub, `m${i}`);
    const first = await device(sub.set);
    await vi.waitFor(() => expect(first.messages).toHaveLength(3));
    const [one, two, three] = first.messages.map((m) => m.seq);
    await first.close();
    const controller = new AbortController();
    const response = await fetch(`${sub.set}/events?after=0`, { headers: { 'last-event-id': String(two) }, signal: controller.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes(`id: ${three}`) && !text.includes(`id:${three}`)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    expect(text).toMatch(new RegExp(`"seq":${three}`));
    expect(text).not.toMatch(new RegExp(`"seq":(${one}|${two})\\b`));
  });

  it('deleting the set unsubscribes everything in it', async () => {
    const base = await serve();
    const a = await subscribe(base);
    const b = await subscribe(base, { set: a.set });
    expect((await fetch(a.set, { method: 'DELETE' })).status).toBe(204);
    expect((await push(a, 'x')).status).toBe(410);
    expect((await push(b, 'x')).status).toBe(410);
    await expect(connectDevice(a.set)).rejects.toThrow(/404/);
  });
});

describe('operations', () => {
  it('serves /healthz and Prometheus /metrics with message counters and the latency histogram', async () => {
    const base = await serve();
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const sub = await subscribe(base);
    const dev = await device(sub.set, { autoAck: true });
    await push(sub, 'counted');
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^fosspush_messages_accepted_total 1$/m);
    expect(metrics).toMatch(/^fosspush_messages_delivered_total 1$/m);
    expect(metrics).toMatch(/^fosspush_device_connections 1$/m);
    expect(metrics).toMatch(/^fosspush_delivery_latency_seconds_count 1$/m);
    expect(metrics).toMatch(/^fosspush_messages_expired_total 0$/m);
  });
});
