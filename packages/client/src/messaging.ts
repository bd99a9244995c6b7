import { type PushSubscriptionJSON, toPushSubscription, type Urgency } from '@fosspush/core';
import type { ClientOptions } from './app-session.js';
import { instanceName } from './instance-id.js';
import { sessionFor } from './sessions.js';

/** The FCM instance: Firebase's `getToken()` is the token for scope FCM. */
const FCM_INSTANCE = instanceName('*', 'FCM');

export const isFcmInstance = (instance: string) => instance === FCM_INSTANCE;

/** firebase/messaging's `MessagePayload`, plus the raw bytes and timing. */
export interface MessagePayload {
  /** The sender id, empty for FCM-style registrations (they name none). */
  from: string;
  messageId: string;
  collapseKey: string;
  data?: Record<string, string>;
  notification?: { title?: string; body?: string; image?: string; icon?: string } & Record<string, string>;
  rawData: Uint8Array;
  sentAt: number;
  urgency: Urgency;
}

export interface GetTokenOptions {
  /** RFC 8292 VAPID public key (firebase: `vapidKey`): only pushes it signs reach the token. */
  vapidKey?: string;
  /** A daemon account id. @default the daemon's default account */
  account?: string;
}

export type Unsubscribe = () => void;

/**
 * The FCM-style client, shaped like `firebase/messaging`: methods on the object, and the same
 * as free functions (`getToken(messaging)`, `onMessage(messaging, cb)`) for code written
 * against Firebase's modular API.
 */
export interface Messaging {
  readonly appId: string;
  getToken(options?: GetTokenOptions): Promise<string>;
  /** True when a token existed and is now gone. */
  deleteToken(): Promise<boolean>;
  /** Messages, first those the app missed while not running. The returned function stops them. */
  onMessage(next: (payload: MessagePayload) => unknown): Unsubscribe;
  onTokenRefresh(next: (token: string) => unknown): Unsubscribe;
  /** The W3C PushSubscription JSON of the token (Web Push channels), or null before `getToken`. */
  getSubscription(): Promise<PushSubscriptionJSON | null>;
  close(): Promise<void>;
}

/**
 * @example
 * const messaging = getMessaging({ appId: 'org.example.chat' });
 * const token = await messaging.getToken();
 * messaging.onMessage((payload) => console.log(payload.data));
 */
export function getMessaging(options: ClientOptions): Messaging {
  const session = () => sessionFor(options);
  return {
    appId: options.appId,
    async getToken(tokenOptions = {}) {
      const registration = await session().register({
        instance: FCM_INSTANCE,
        vapidPublicKey: tokenOptions.vapidKey,
        account: tokenOptions.account,
      });
      return registration.token;
    },
    deleteToken: () => session().unregister(FCM_INSTANCE),
    onMessage(next) {
      return session().onMessage((message) => {
        const payload: MessagePayload = {
          from: message.from,
          messageId: message.messageId,
          collapseKey: message.collapseKey ?? '',
          data: message.data,
          rawData: message.rawData,
          sentAt: message.sentAt,
          urgency: message.urgency,
        };
        if (message.notification) payload.notification = message.notification;
        return next(payload);
      }, isFcmInstance);
    },
    onTokenRefresh(next) {
      return session().on('token', (change) => {
        if (change.instance === FCM_INSTANCE) void next(change.token);
      });
    },
    async getSubscription() {
      const stored = await session().stored(FCM_INSTANCE);
      return stored?.token === undefined ? null : toPushSubscription(stored.token);
    },
    close: () => session().close(),
  };
}

export function getToken(messaging: Messaging, options?: GetTokenOptions): Promise<string> {
  return messaging.getToken(options);
}

export function deleteToken(messaging: Messaging): Promise<boolean> {
  return messaging.deleteToken();
}

export function onMessage(messaging: Messaging, next: (payload: MessagePayload) => unknown): Unsubscribe {
  return messaging.onMessage(next);
}
