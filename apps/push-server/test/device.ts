import { type Channel, generateSubscriptionKeys, type SubscriptionKeys } from '@fosspush/core';
import { buildPushRequest } from '@fosspush/webpush/app-server';
import { createWebSocketChannel } from '@fosspush/websocket';

/** A device on the real WebSocket channel whose consumer counts every message it is handed. */
export interface CountingDevice {
  readonly channel: Channel;
  /** How often the consumer was handed each message id. */
  readonly received: Map<string, number>;
  subscribe(): Promise<{ endpoint: string; keys: SubscriptionKeys }>;
}

export function countingDevice(serverUrl: string): CountingDevice {
  const channel = createWebSocketChannel({ serverUrl, reconnect: { initialDelayMs: 50, maxDelayMs: 250 } });
  const received = new Map<string, number>();
  channel.on('message', ({ registrationId, message }) => {
    received.set(message.id, (received.get(message.id) ?? 0) + 1);
    void channel.ack(registrationId, message.id).catch(() => undefined);
  });
  return {
    channel,
    received,
    async subscribe() {
      const { endpoint } = await channel.subscribe({});
      return { endpoint, keys: await generateSubscriptionKeys() };
    },
  };
}

/**
 * An app server posting with `buildPushRequest`: resolves with the message id when the push
 * service accepted it (201), undefined when it refused or could not be reached.
 */
export async function post(target: { endpoint: string; keys: SubscriptionKeys }, text: string, ttlSeconds = 600): Promise<string | undefined> {
  try {
    const request = await buildPushRequest({ endpoint: target.endpoint, keys: target.keys }, text, { ttlSeconds });
    const response = await fetch(request.url, request);
    await response.arrayBuffer();
    if (response.status !== 201) return undefined;
    return response.headers.get('location')?.split('/').pop();
  } catch {
    return undefined;
  }
}
