import { createMemoryChannelState, encryptWebPush, generateSubscriptionKeys, silentLogger, utf8Encode } from '@fosspush/core';
import { createWebSocketChannel } from '@fosspush/websocket';
import { afterEach, expect, it, vi } from 'vitest';
import { createPushServer, type PushServer } from '../src/index.js';

let server: PushServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

it('listens on the IPv6 loopback [::1], and a device channel given that URL gets its messages', async () => {
  server = createPushServer({ storage: { kind: 'memory' }, logger: silentLogger, processMetrics: false });
  const url = await server.listen(0, '::1');
  expect(url).toMatch(/^http:\/\/\[::1\]:\d+$/);

  const channel = createWebSocketChannel({ serverUrl: url, state: createMemoryChannelState() });
  const received: string[] = [];
  channel.on('message', ({ registrationId, message }) => {
    received.push(message.id);
    void channel.ack(registrationId, message.id);
  });
  await channel.connect();
  const { endpoint } = await channel.subscribe({});
  // Every link the server hands out names the same [::1] origin.
  expect(new URL(endpoint).origin).toBe(url);

  const keys = await generateSubscriptionKeys();
  const body = new Uint8Array(await encryptWebPush(utf8Encode('over IPv6'), keys));
  const response = await fetch(endpoint, { method: 'POST', headers: { ttl: '60', 'content-encoding': 'aes128gcm' }, body });
  expect(response.status).toBe(201);
  expect(new URL(response.headers.get('location') ?? '').origin).toBe(url);
  await vi.waitFor(() => expect(received).toEqual([response.headers.get('location')?.split('/').pop()]));
  await channel.close();
});
