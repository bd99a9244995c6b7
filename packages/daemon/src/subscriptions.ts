import { type ChannelSubscription, isFosspushError, type Registration, type SubscribeRequest } from '@fosspush/core';
import type { Account } from './account.js';
import { allRegistrations, type DaemonContext, registrationInfo } from './context.js';
import { readFields, type RegistrationFields, toRegistration, tokenFor } from './registration-record.js';

function request(vapidPublicKey: string | undefined, channelRegistrationId?: string): SubscribeRequest {
  return { vapidPublicKey, registrationId: channelRegistrationId };
}

/** Folds a channel subscription into a registration's fields, with the token it implies. */
export function withSubscription(fields: RegistrationFields, account: Account, subscription: ChannelSubscription): RegistrationFields {
  return {
    ...fields,
    account: account.config.id,
    channelKind: account.channel.kind,
    channelRegistrationId: subscription.registrationId,
    endpoint: subscription.endpoint,
    extras: subscription.extras,
    token: tokenFor(subscription, fields),
  };
}

/** Stores new fields for a registration, keeps the index right, and tells the app when its token moved. */
export async function saveRegistration(context: DaemonContext, previous: Registration, next: RegistrationFields): Promise<Registration> {
  const before = readFields(previous);
  const registration = toRegistration(previous.id, previous.createdAt, next);
  await context.store.putRegistration(registration);
  if (before.account !== next.account || before.channelRegistrationId !== next.channelRegistrationId) {
    context.index.delete(before.account, before.channelRegistrationId);
    context.index.set(next.account, next.channelRegistrationId, registration.id);
  }
  if (before.token !== next.token) {
    context.observers.notify(next.appId, 'token', { appId: next.appId, registration: registrationInfo(context, registration) });
    context.logger.info('token_changed', { appId: next.appId, registrationId: registration.id });
  }
  return registration;
}

/**
 * Tells each channel, after a (re)start, about the registrations it holds, so it resumes them
 * instead of forgetting them. A registration the far side no longer knows is subscribed afresh:
 * its token changes and the app hears of it, but its id and queued messages stay.
 */
export async function restoreSubscriptions(context: DaemonContext, account: Account): Promise<void> {
  const mine = (await allRegistrations(context)).filter((registration) => registration.data['account'] === account.config.id);
  for (const registration of mine) {
    const fields = readFields(registration);
    await context.perApp(fields.appId, async () => {
      let subscription: ChannelSubscription;
      try {
        subscription = await account.channel.subscribe(request(fields.vapidPublicKey, fields.channelRegistrationId));
      } catch (error) {
        if (!isFosspushError(error, 'NOT_FOUND') && !isFosspushError(error, 'GONE')) throw error;
        subscription = await account.channel.subscribe(request(fields.vapidPublicKey));
      }
      await saveRegistration(context, registration, withSubscription(fields, account, subscription));
    });
  }
}

/**
 * A channel renewed a registration's endpoint by itself (mid-run): store it under the same
 * registration, and the app hears of its new token as at any token change (the SDK's
 * `onTokenRefresh`, a UnifiedPush app's `NewEndpoint`).
 */
export async function applySubscriptionChange(context: DaemonContext, account: Account, subscription: ChannelSubscription): Promise<void> {
  const registrationId = context.index.get(account.config.id, subscription.registrationId);
  const known = registrationId === undefined ? undefined : await context.store.getRegistration(registrationId);
  if (registrationId === undefined || known === undefined) {
    context.logger.warn('subscription_change_for_unknown_registration', { account: account.config.id, channelRegistrationId: subscription.registrationId });
    return;
  }
  await context.perApp(readFields(known).appId, async () => {
    // Read again in the app's queue: an unregister may have come first.
    const current = await context.store.getRegistration(registrationId);
    if (current) await saveRegistration(context, current, withSubscription(readFields(current), account, subscription));
  });
}

export function subscribe(account: Account, vapidPublicKey: string | undefined): Promise<ChannelSubscription> {
  return account.channel.subscribe(request(vapidPublicKey));
}
