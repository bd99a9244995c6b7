import {
  type Channel,
  type ChannelMessageEvent,
  encodeToken,
  generateSubscriptionKeys,
  type SubscriptionKeys,
  type VapidKeys,
} from '@fosspush/core';
import { createWebSocketChannel } from '@fosspush/websocket';

/** A device on a push server's WebSocket wire that records and acks whatever arrives. */
export interface DeviceRig {
  device: Channel;
  received: ChannelMessageEvent[];
  /** A new registration restricted to the VAPID key, as a fosspush token with its keys. */
  register(vapidKeys: VapidKeys): Promise<{ token: string; registrationId: string; keys: SubscriptionKeys }>;
}

export async function connectDevice(serverUrl: string): Promise<DeviceRig> {
  const device = createWebSocketChannel({ serverUrl });
  const received: ChannelMessageEvent[] = [];
  device.on('message', (event) => {
    received.push(event);
    void device.ack(event.registrationId, event.message.id);
  });
  await device.connect();
  return {
    device,
    received,
    async register(vapidKeys) {
      const subscription = await device.subscribe({ vapidPublicKey: vapidKeys.publicKey });
      const keys = await generateSubscriptionKeys();
      const token = encodeToken({ channel: 'webpush', endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras });
      return { token, registrationId: subscription.registrationId, keys };
    },
  };
}
