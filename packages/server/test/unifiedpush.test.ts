import { fromBase64Url, generateVapidKeys, utf8Decode } from '@fosspush/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PushServerOptions } from '../src/index.js';
import { connectDevice, type StartedServer, startServer, subscribe, type TestDevice } from './helpers.js';

const running: StartedServer[] = [];
const devices: TestDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((device) => device.close()));
  await Promise.all(running.splice(0).map(({ server }) => server.close()));
});

/** A push server on port 0, closed after the test; resolves with its base URL. */
const serve = (options: PushServerOptions = {}) =>
  startServer(options).then((started) => {
    running.push(started);
    return started.url;
  });

/** What Synapse POSTs to a pusher's URL (matrix-spec push_notifier.yaml; Synapse's httppusher). */
function synapseNotification(pushkeys: string[]) {
  return {
    notification: {
      event_id: '$3957tyerfgewrf384',
      room_id: '!slw48wfj34rtnrf:example.org',
      type: 'm.room.message',
      sender: '@exampleuser:matrix.org',
      sender_display_name: 'Major Tom',
      room_name: 'Mission Control',
      prio: 'high',
      content: { msgtype: 'm.text', body: "I'm floating in a most peculiar way." },
      counts: { unread: 2, missed_calls: 1 },
      devices: pushkeys.map((pushkey) => ({ app_id: 'org.matrix.matrixConnect.android', pushkey, pushkey_ts: 12345678, data: {}, tweaks: { sound: 'bing' } })),
    },
  };
}

describe('UnifiedPush on the push server', () => {
  it('answers GET on any push resource with the discovery document, the same for unknown ones', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const known = await fetch(sub.push);
    const unknown = await fetch(`${base}/p/AAAAAAAAAAAAAAAAAAAAAA`);
    expect(known.status).toBe(200);
    expect(await known.json()).toEqual({ unifiedpush: { version: 1 } });
    expect(unknown.status).toBe(200);
    expect(await unknown.json()).toEqual({ unifiedpush: { version: 1 } });
    const headersOf = (r: Response) => {
      const kept: [string, string][] = [];
      r.headers.forEach((value, name) => {
        if (name !== 'date') kept.push([name, value]);
      });
      return kept;
    };
    expect(headersOf(known)).toEqual(headersOf(unknown));
  });

  it('answers GET on the Matrix gateway with its discovery document', async () => {
    const base = await serve();
    const response = await fetch(`${base}/_matrix/push/v1/notify`);
    expect(await response.json()).toEqual({ unifiedpush: { gateway: 'matrix' } });
  });

  it('forwards a Synapse notification, body unchanged, and rejects foreign, unknown and VAPID-restricted pushkeys', async () => {
    const base = await serve();
    const sub = await subscribe(base);
    const restricted = await subscribe(base, { vapid: (await generateVapidKeys()).publicKey });
    const dev = await connectDevice(sub.set);
    devices.push(dev);
    const foreign = 'https://elsewhere.example/p/AAAAAAAAAAAAAAAAAAAAAA';
    const unknown = `${base}/p/BBBBBBBBBBBBBBBBBBBBBB`;
    const body = JSON.stringify(synapseNotification([sub.push, foreign, unknown, restricted.push]));
    const response = await fetch(`${base}/_matrix/push/v1/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ rejected: [foreign, unknown, restricted.push] });
    await vi.waitFor(() => expect(dev.messages).toHaveLength(1));
    expect(utf8Decode(fromBase64Url(dev.messages[0]?.payload ?? ''))).toBe(body);
    expect(dev.messages[0]?.urgency).toBe('high');
    expect(dev.messages[0]?.ttl).toBe(86_400);
  });

  it('refuses a gateway body that is not a Matrix notification', async () => {
    const base = await serve();
    const post = (body: string) => fetch(`${base}/_matrix/push/v1/notify`, { method: 'POST', body });
    expect((await post('not json')).status).toBe(400);
    expect((await post('{"notification": {}}')).status).toBe(400);
    expect((await post('{"notification": {"devices": [{"pushkey": 5}]}}')).status).toBe(400);
  });

  it('gives a push without TTL the default TTL, and answers 400 when the strict mode is chosen', async () => {
    const body = new Uint8Array(200);
    body.set([0, 0, 16, 0, 65, 4], 16);
    const lenient = await serve();
    const sub = await subscribe(lenient);
    const accepted = await fetch(sub.push, { method: 'POST', headers: { 'content-encoding': 'aes128gcm' }, body });
    expect(accepted.status).toBe(201);
    expect(accepted.headers.get('ttl')).toBe('86400');

    const strict = await serve({ defaultTtlSeconds: false });
    const strictSub = await subscribe(strict);
    const refused = await fetch(strictSub.push, { method: 'POST', headers: { 'content-encoding': 'aes128gcm' }, body });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code?: unknown }).code).toBe('INVALID_TTL');
  });
});
