import { FosspushError } from '@fosspush/core';
import type { ClientOptions } from './app-session.js';
import { gcmCall } from './gcm-errors.js';
import { sessionFor } from './sessions.js';

const TOPIC = /^\/topics\/[a-zA-Z0-9\-_.~%]{1,900}$/;

/**
 * Mirrors `com.google.android.gms.gcm.GcmPubSub`. Topics need a channel that fans out on the
 * server side; the push-server and email channels address single registrations only, so
 * subscribing rejects with SERVICE_NOT_AVAILABLE there. App servers send to a topic by sending
 * to each subscriber's token (the sender SDK streams any number of them).
 */
export class GcmPubSub {
  private constructor(private readonly options: ClientOptions) {}

  static getInstance(options: ClientOptions): GcmPubSub {
    return new GcmPubSub(options);
  }

  subscribe(registrationToken: string, topic: string, _extras?: Record<string, string>): Promise<void> {
    return this.change(registrationToken, topic);
  }

  unsubscribe(registrationToken: string, topic: string): Promise<void> {
    return this.change(registrationToken, topic);
  }

  private change(registrationToken: string, topic: string): Promise<void> {
    return gcmCall(async () => {
      if (!TOPIC.test(topic)) throw new FosspushError('INVALID_REQUEST', `invalid topic name ${JSON.stringify(topic)}: expected /topics/[a-zA-Z0-9-_.~%]+`);
      const registration = (await sessionFor(this.options).registrations()).find((r) => r.token === registrationToken);
      if (!registration) throw new FosspushError('INVALID_REQUEST', 'the token is not one of this app\'s registrations');
      throw new FosspushError('UNAVAILABLE', `the ${registration.channelKind} channel of account ${registration.account} has no topics`);
    });
  }
}
