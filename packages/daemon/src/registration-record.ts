import { type ChannelSubscription, encodeToken, FosspushError, isFosspushError, type Registration, validateToken } from '@fosspush/core';
import type { ChannelCapabilities, RegistrationInfo } from '@fosspush/ipc';

/**
 * How the daemon lays out an app registration in the store's string map. The store id is the
 * daemon's own, so a registration keeps it (and its queued messages) even if the channel has to
 * issue a new subscription after the far side forgot the old one.
 */
export interface RegistrationFields {
  appId: string;
  instance: string;
  account: string;
  channelKind: string;
  channelRegistrationId: string;
  endpoint: string;
  extras: Record<string, string>;
  token: string;
  p256dh: string;
  auth: string;
  vapidPublicKey?: string;
  senderIds: string[];
}

export function readFields(registration: Registration): RegistrationFields {
  const data = registration.data;
  const fields: RegistrationFields = {
    appId: registration.owner,
    instance: data['instance'] ?? '',
    account: data['account'] ?? '',
    channelKind: data['channelKind'] ?? '',
    channelRegistrationId: data['channelRegistrationId'] ?? '',
    endpoint: data['endpoint'] ?? '',
    extras: JSON.parse(data['extras'] ?? '{}') as Record<string, string>,
    token: data['token'] ?? '',
    p256dh: data['p256dh'] ?? '',
    auth: data['auth'] ?? '',
    senderIds: JSON.parse(data['senderIds'] ?? '[]') as string[],
  };
  const vapid = data['vapidPublicKey'];
  return vapid === undefined ? fields : { ...fields, vapidPublicKey: vapid };
}

export function toRegistration(id: string, createdAt: number, fields: RegistrationFields): Registration {
  const data: Record<string, string> = {
    instance: fields.instance,
    account: fields.account,
    channelKind: fields.channelKind,
    channelRegistrationId: fields.channelRegistrationId,
    endpoint: fields.endpoint,
    extras: JSON.stringify(fields.extras),
    token: fields.token,
    p256dh: fields.p256dh,
    auth: fields.auth,
    senderIds: JSON.stringify(fields.senderIds),
  };
  if (fields.vapidPublicKey !== undefined) data['vapidPublicKey'] = fields.vapidPublicKey;
  return { id, owner: fields.appId, createdAt, data };
}

export function toInfo(registration: Registration, capabilities: ChannelCapabilities): RegistrationInfo {
  const fields = readFields(registration);
  const info: RegistrationInfo = {
    registrationId: registration.id,
    appId: fields.appId,
    instance: fields.instance,
    account: fields.account,
    channelKind: fields.channelKind,
    token: fields.token,
    createdAt: registration.createdAt,
    senderIds: fields.senderIds,
    capabilities,
  };
  return fields.vapidPublicKey === undefined ? info : { ...info, vapidPublicKey: fields.vapidPublicKey };
}

/** Refuses keys that could never make a valid token before anything is subscribed. */
export function checkPublicKeys(keys: { p256dh: string; auth: string }): void {
  try {
    validateToken({ channel: 'webpush', endpoint: 'https://example.invalid/', ...keys });
  } catch (error) {
    if (!isFosspushError(error)) throw error;
    throw new FosspushError('INVALID_REQUEST', `keys: ${error.message.replace(/^token /, '')}`, { cause: error, details: { field: 'keys' } });
  }
}

/**
 * The token a sender uses: the channel's endpoint plus the app's public keys. A UnifiedPush
 * app keeps its keys to itself, so its registration has none and its token is the endpoint.
 */
export function tokenFor(subscription: Pick<ChannelSubscription, 'endpoint' | 'extras' | 'tokenChannel'>, keys: { p256dh: string; auth: string }): string {
  if (keys.p256dh === '') return subscription.endpoint;
  const channel = subscription.tokenChannel ?? (subscription.endpoint.startsWith('mailto:') ? 'email' : 'webpush');
  return encodeToken({ channel, endpoint: subscription.endpoint, p256dh: keys.p256dh, auth: keys.auth, extras: subscription.extras });
}
