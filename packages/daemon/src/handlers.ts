import { FosspushError, type Registration, toBase64Url } from '@fosspush/core';
import { IPC_PAGE_BYTES, IPC_PAGE_LIMIT, type IpcHandlers, type RegisterParams } from '@fosspush/ipc';
import type { Account } from './account.js';
import { type DaemonContext, registrationInfo, toIpcMessage } from './context.js';
import { markSeen } from './delivery.js';
import { checkPublicKeys, readFields, type RegistrationFields, toRegistration } from './registration-record.js';
import { daemonStatus, type StatusSource } from './status.js';
import { saveRegistration, subscribe, withSubscription } from './subscriptions.js';

function accountFor(context: DaemonContext, id: string): Account {
  const account = context.accounts.get(id);
  if (!account) {
    throw new FosspushError('NOT_FOUND', `no account ${id} in the daemon configuration (accounts: ${[...context.accounts.keys()].join(', ')})`, {
      details: { field: 'account' },
    });
  }
  return account;
}

async function findInstance(context: DaemonContext, appId: string, instance: string): Promise<Registration | undefined> {
  return (await context.store.listRegistrations(appId)).find((registration) => registration.data['instance'] === instance);
}

export async function release(context: DaemonContext, fields: RegistrationFields): Promise<void> {
  const account = context.accounts.get(fields.account);
  // Best effort: if the far side is unreachable, a later message for it is dropped and the
  // unsubscribe retried then (see deliver).
  await account?.channel.unsubscribe(fields.channelRegistrationId).catch((error: unknown) => {
    context.logger.warn('unsubscribe_failed_will_retry', { account: fields.account, error });
  });
  context.index.delete(fields.account, fields.channelRegistrationId);
}

/** A new subscription is about to be made: refuse it unrestricted when the daemon requires VAPID. */
function checkRestriction(context: DaemonContext, account: Account, vapidPublicKey: string | undefined): void {
  if (!context.requireVapid || vapidPublicKey !== undefined || account.config.type !== 'push-server') return;
  throw new FosspushError(
    'VAPID_REQUIRED',
    "this daemon accepts only registrations restricted to an app server's VAPID key (RFC 8292): register with the app server's VAPID public key as the sender id",
    { details: { field: 'vapidPublicKey', account: account.config.id } },
  );
}

async function register(context: DaemonContext, params: RegisterParams) {
  checkPublicKeys(params.keys);
  const claim = await context.credentials.claim(params.appId, params.credential);
  const existing = await findInstance(context, params.appId, params.instance);
  const previous = existing && readFields(existing);
  const account = accountFor(context, params.account ?? previous?.account ?? context.defaultAccount);
  const wanted = {
    p256dh: params.keys.p256dh,
    auth: params.keys.auth,
    senderIds: params.senderIds ?? [],
    vapidPublicKey: params.vapidPublicKey,
  };

  if (existing && previous) {
    const sameSubscription = previous.account === account.config.id && previous.vapidPublicKey === params.vapidPublicKey;
    const unchanged = sameSubscription && previous.p256dh === wanted.p256dh && previous.auth === wanted.auth;
    if (unchanged && previous.senderIds.join('\n') === wanted.senderIds.join('\n')) {
      return { registration: registrationInfo(context, existing), created: false, credential: claim.issued };
    }
    let next: RegistrationFields = { ...previous, ...wanted };
    if (sameSubscription) {
      next = withSubscription(next, account, { registrationId: previous.channelRegistrationId, endpoint: previous.endpoint, extras: previous.extras });
    } else {
      // A push subscription is bound to its VAPID key (RFC 8292), so a new key or account means a new subscription.
      checkRestriction(context, account, params.vapidPublicKey);
      next = withSubscription(next, account, await subscribe(account, params.vapidPublicKey));
      await release(context, previous);
    }
    const saved = await saveRegistration(context, existing, next);
    return { registration: registrationInfo(context, saved), created: false, credential: claim.issued };
  }

  checkRestriction(context, account, params.vapidPublicKey);
  const subscription = await subscribe(account, params.vapidPublicKey);
  const fields = withSubscription(
    { appId: params.appId, instance: params.instance, account: '', channelKind: '', channelRegistrationId: '', endpoint: '', extras: {}, token: '', ...wanted },
    account,
    subscription,
  );
  const registration = toRegistration(`r${toBase64Url(context.runtime.random.bytes(12))}`, context.runtime.clock.now(), fields);
  await claim.save();
  await context.store.putRegistration(registration);
  context.index.set(account.config.id, subscription.registrationId, registration.id);
  context.logger.info('registered', { appId: params.appId, instance: params.instance, registrationId: registration.id, account: account.config.id });
  return { registration: registrationInfo(context, registration), created: true, credential: claim.issued };
}

/** The daemon's answers to every IPC method. Every app-scoped call checks the app's credential first. */
export function createHandlers(context: DaemonContext, source: StatusSource): IpcHandlers {
  const { store, credentials } = context;
  return {
    register: (params) => context.perApp(params.appId, () => register(context, params)),

    unregister: (params) =>
      context.perApp(params.appId, async () => {
        await credentials.verify(params.appId, params.credential);
        const registration = await findInstance(context, params.appId, params.instance);
        if (!registration) return { removed: false };
        await release(context, readFields(registration));
        await store.deleteRegistration(registration.id);
        await context.queues.recount(params.appId);
        context.observers.notify(params.appId, 'unregistered', { appId: params.appId, registrationId: registration.id, instance: params.instance });
        context.logger.info('unregistered', { appId: params.appId, instance: params.instance, registrationId: registration.id });
        return { removed: true };
      }),

    async registrations(params) {
      await credentials.verify(params.appId, params.credential);
      const list = await store.listRegistrations(params.appId);
      return { registrations: list.map((registration) => registrationInfo(context, registration)) };
    },

    async messages(params) {
      await credentials.verify(params.appId, params.credential);
      if (params.registrationId !== undefined) {
        const registration = await store.getRegistration(params.registrationId);
        if (registration?.owner !== params.appId) {
          throw new FosspushError('PERMISSION_DENIED', `registration ${params.registrationId} does not belong to app ${params.appId}`);
        }
      }
      const afterSeq = params.afterSeq ?? 0;
      const limit = params.limit ?? IPC_PAGE_LIMIT;
      const stored = await store.listMessages({
        owner: params.appId,
        afterSeq,
        limit,
        registrationId: params.registrationId,
      });
      const messages = [];
      let bytes = 0;
      for (const message of stored) {
        const wire = toIpcMessage(message);
        bytes += wire.payload.length;
        if (messages.length > 0 && bytes > IPC_PAGE_BYTES) break;
        messages.push(wire);
      }
      const more = messages.length < stored.length || stored.length === limit;
      return { messages, cursor: messages.at(-1)?.seq ?? afterSeq, more };
    },

    async ack(params) {
      await credentials.verify(params.appId, params.credential);
      const found = await Promise.all(params.messageIds.map((id) => store.getMessage(id)));
      // Check every id before acking any, so a refused call changes nothing.
      for (const message of found) {
        if (message && message.owner !== params.appId) {
          throw new FosspushError('PERMISSION_DENIED', `message ${message.id} does not belong to app ${params.appId}`);
        }
      }
      let acked = 0;
      for (const message of found) {
        if (!message) continue;
        // Remembered past the ack, so a late redelivery from the channel is recognised.
        await markSeen(context, message.registrationId, message.id, message.expiresAt);
        if (await store.ack(message.id)) acked++;
      }
      context.queues.removed(params.appId, acked);
      return { acked };
    },

    async observe(params, connection) {
      await credentials.verify(params.appId, params.credential);
      context.observers.add(params.appId, connection);
      setImmediate(() => void context.queues.flushDeleted(params.appId).catch(() => {}));
      return { observing: true };
    },

    status: () => daemonStatus(context, source),
  };
}
