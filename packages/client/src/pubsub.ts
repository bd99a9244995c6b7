import { FosspushError } from '@fosspush/core';
import type { ClientOptions } from './app-session.js';
import { gcmCall } from './gcm-errors.js';
import { type GetTokenOptions, getToken, type Messaging } from './messaging.js';
import { sessionFor } from './sessions.js';

const TOPIC = /^\/topics\/[a-zA-Z0-9\-_.~%]{1,900}$/;

/**
 * How a device's topic call reaches the app server. On FCM the device asked Google, which kept
 * the membership; on fosspush the app server keeps it (`subscribeToTopic` in
 * @fosspush/sender), so the app supplies this route, typically a POST to its own server,
 * which then calls `getMessaging().subscribeToTopic(token, topic)`. A rejection reaches the
 * caller as a GCM client error (SERVICE_NOT_AVAILABLE unless the error says otherwise).
 *
 * @example
 * const topicRoute: TopicRoute = {
 *   subscribe: (token, topic) => postJson('https://app.example/topics/subscribe', { token, topic }),
 *   unsubscribe: (token, topic) => postJson('https://app.example/topics/unsubscribe', { token, topic }),
 * };
 */
export interface TopicRoute {
  /** `topic` is always `/topics/<name>`; `token` is the app's fosspush token. */
  subscribe(token: string, topic: string): Promise<void>;
  unsubscribe(token: string, topic: string): Promise<void>;
}

export interface PubSubOptions extends ClientOptions {
  /** Where topic calls go; without it they reject with SERVICE_NOT_AVAILABLE. */
  topicRoute?: TopicRoute;
}

function checkTopic(topic: string): void {
  if (!TOPIC.test(topic)) throw new FosspushError('INVALID_REQUEST', `invalid topic name ${JSON.stringify(topic)}: expected /topics/[a-zA-Z0-9-_.~%]+`);
}

function routeOf(options: PubSubOptions): TopicRoute {
  if (!options.topicRoute) {
    throw new FosspushError('UNAVAILABLE', 'topics are kept by the app server: pass a topicRoute that forwards this call to it');
  }
  return options.topicRoute;
}

/**
 * Mirrors `com.google.android.gms.gcm.GcmPubSub`. The token must be one of this app's
 * registrations; the change itself goes through the app's `topicRoute` to its app server.
 */
export class GcmPubSub {
  private constructor(private readonly options: PubSubOptions) {}

  static getInstance(options: PubSubOptions): GcmPubSub {
    return new GcmPubSub(options);
  }

  subscribe(registrationToken: string, topic: string, _extras?: Record<string, string>): Promise<void> {
    return this.change(registrationToken, topic, 'subscribe');
  }

  unsubscribe(registrationToken: string, topic: string): Promise<void> {
    return this.change(registrationToken, topic, 'unsubscribe');
  }

  private change(registrationToken: string, topic: string, kind: keyof TopicRoute): Promise<void> {
    return gcmCall(async () => {
      checkTopic(topic);
      const route = routeOf(this.options);
      const registration = (await sessionFor(this.options).registrations()).find((r) => r.token === registrationToken);
      if (!registration) throw new FosspushError('INVALID_REQUEST', "the token is not one of this app's registrations");
      await route[kind](registrationToken, topic);
    });
  }
}

/**
 * FCM's device-side `subscribeToTopic(topic)`: this app's FCM token joins the topic through
 * the app's `topicRoute`. `topic` may be given with or without `/topics/`.
 *
 * @example
 * await subscribeToTopic(messaging, 'news', topicRoute);
 */
export async function subscribeToTopic(messaging: Messaging, topic: string, route: TopicRoute, tokenOptions?: GetTokenOptions): Promise<void> {
  await changeFcmTopic(messaging, topic, route, 'subscribe', tokenOptions);
}

export async function unsubscribeFromTopic(messaging: Messaging, topic: string, route: TopicRoute, tokenOptions?: GetTokenOptions): Promise<void> {
  await changeFcmTopic(messaging, topic, route, 'unsubscribe', tokenOptions);
}

async function changeFcmTopic(messaging: Messaging, topic: string, route: TopicRoute, kind: keyof TopicRoute, tokenOptions?: GetTokenOptions): Promise<void> {
  const name = topic.startsWith('/topics/') ? topic : `/topics/${topic}`;
  checkTopic(name);
  await route[kind](await getToken(messaging, tokenOptions), name);
}
