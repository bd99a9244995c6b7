import { FosspushError, isFosspushError, type Registration, type TimerHandle, toBase64Url, withDefaults } from '@fosspush/core';
import { type Bus, connectSessionBus, createDistributor, type DistributorBackend, type RegisterOutcome, type RegisterRequest } from '@fosspush/dbus';
import type { IpcConnection, IpcNotificationName, IpcNotifications } from '@fosspush/ipc';
import type { Account } from './account.js';
import type { DaemonContext } from './context.js';
import { release } from './handlers.js';
import { readFields, type RegistrationFields, toRegistration } from './registration-record.js';
import { saveRegistration, subscribe, withSubscription } from './subscriptions.js';
import { createUnifiedPushDelivery } from './unifiedpush-delivery.js';
import { type UnifiedPushTokens, unifiedPushOwner } from './unifiedpush-tokens.js';

export interface UnifiedPushOptions {
  /**
   * `'auto'`: serve when a session bus exists, and only report (not fail) when the name cannot
   * be owned. `true`: the daemon does not start without it. @default 'auto'
   */
  enabled?: boolean | 'auto';
  /** @default process.env.DBUS_SESSION_BUS_ADDRESS */
  busAddress?: string;
  /** The bus name is `org.unifiedpush.Distributor.<name>`. @default 'fosspush' */
  name?: string;
  /** The push-server account UnifiedPush registrations land on. @default the daemon's default account */
  account?: string;
  /** Answer VAPID_REQUIRED to registrations without a VAPID key. @default the daemon's `requireVapid` */
  requireVapid?: boolean;
  /** How often messages an app did not take are offered again. @default 60000 */
  redeliveryIntervalMs?: number;
  /** How long a call to a connector may take, D-Bus activation included. @default 25000 */
  callTimeoutMs?: number;
}

export const UNIFIEDPUSH_DEFAULTS = {
  enabled: 'auto',
  name: 'fosspush',
  redeliveryIntervalMs: 60_000,
  callTimeoutMs: 25_000,
} as const satisfies UnifiedPushOptions;

export interface UnifiedPushService {
  readonly busName: string;
  stop(): Promise<void>;
}

/** Errors of a channel that is not connected yet: the connector should try again later. */
const NETWORK_CODES = ['UNAVAILABLE', 'TIMEOUT', 'CLOSED'] as const;

/**
 * fosspushd as a UnifiedPush distributor on the session bus. Each UnifiedPush registration is
 * a registration on one of the daemon's push-server accounts (sharing its one connection),
 * with the app's VAPID key passed on as an RFC 8292 restricted subscription. Messages are the
 * RFC 8291 ciphertext the app server posted, stored as they came and handed to the connector.
 *
 * Returns undefined when UnifiedPush is off or (with `enabled: 'auto'`) cannot start; the
 * reason is logged.
 */
export async function startUnifiedPush(
  context: DaemonContext,
  tokens: UnifiedPushTokens,
  options: UnifiedPushOptions = {},
): Promise<UnifiedPushService | undefined> {
  const settings = withDefaults({ ...UNIFIEDPUSH_DEFAULTS, requireVapid: context.requireVapid }, options);
  const { logger } = context;
  const address = options.busAddress ?? process.env['DBUS_SESSION_BUS_ADDRESS'];
  if (settings.enabled === false) return undefined;
  if (settings.enabled === 'auto' && !address) {
    logger.info('unifiedpush_off', { reason: 'no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)' });
    return undefined;
  }
  let bus: Bus | undefined;
  try {
    const account = pushAccount(context, options.account ?? context.defaultAccount);
    bus = await connectSessionBus({ address });
    return await serve(context, tokens, settings, account, bus);
  } catch (error) {
    await bus?.close();
    if (settings.enabled === true) throw error;
    logger.error('unifiedpush_unavailable', { error, reason: (error as Error).message });
    return undefined;
  }
}

function pushAccount(context: DaemonContext, id: string): Account {
  const account = context.accounts.get(id);
  if (!account) throw new FosspushError('INVALID_REQUEST', `unifiedpush.account ${id} is not configured`, { details: { field: 'unifiedpush.account' } });
  // A UnifiedPush endpoint is an RFC 8030 push resource: an email account has none to give.
  if (account.config.type !== 'push-server') {
    throw new FosspushError('INVALID_REQUEST', `unifiedpush.account ${id} is an email account; UnifiedPush needs a push-server account`, {
      details: { field: 'unifiedpush.account' },
    });
  }
  return account;
}

async function serve(
  context: DaemonContext,
  tokens: UnifiedPushTokens,
  settings: Required<Pick<UnifiedPushOptions, 'name' | 'requireVapid' | 'redeliveryIntervalMs' | 'callTimeoutMs'>>,
  account: Account,
  bus: Bus,
): Promise<UnifiedPushService> {
  const { store, logger } = context;
  const observed = new Set<string>();

  async function register(request: RegisterRequest): Promise<RegisterOutcome> {
    if (settings.requireVapid && request.vapid === undefined) return { failure: 'VAPID_REQUIRED' };
    const owner = unifiedPushOwner(request.service);
    const known = await tokens.get(request.token);
    // A token is the app's own (the spec: unique on both sides): another app cannot take it over.
    if (known && known.service !== request.service) return { failure: 'UNAUTHORIZED' };
    const existing = known && (await store.getRegistration(known.registrationId));
    const registration = existing ? await refresh(existing, request.vapid) : await create(owner, request);
    await tokens.set(request.token, {
      service: request.service,
      version: request.version,
      registrationId: registration.id,
      ...(request.description === undefined ? {} : { description: request.description }),
    });
    observe(owner);
    logger.info('unifiedpush_registered', { service: request.service, version: request.version, registrationId: registration.id, created: !existing });
    // The app just asked: it is running, so whatever waited for it goes now.
    setImmediate(() => void delivery.flush(registration.id));
    return { endpoint: readFields(registration).endpoint };
  }

  async function create(owner: string, request: RegisterRequest): Promise<Registration> {
    const subscription = await subscribe(account, request.vapid);
    const blank: RegistrationFields = {
      appId: owner,
      instance: request.token,
      account: '',
      channelKind: '',
      channelRegistrationId: '',
      endpoint: '',
      extras: {},
      token: '',
      // The app holds its own RFC 8291 keys; the daemon never has them.
      p256dh: '',
      auth: '',
      senderIds: [],
      vapidPublicKey: request.vapid,
    };
    const registration = toRegistration(`r${toBase64Url(context.runtime.random.bytes(12))}`, context.runtime.clock.now(), withSubscription(blank, account, subscription));
    await store.putRegistration(registration);
    context.index.set(account.config.id, subscription.registrationId, registration.id);
    return registration;
  }

  /** Same token again: same endpoint, unless the VAPID key changed (RFC 8292 binds a subscription to its key). */
  async function refresh(existing: Registration, vapid: string | undefined): Promise<Registration> {
    const previous = readFields(existing);
    if (previous.vapidPublicKey === vapid) return existing;
    const next: RegistrationFields = { ...previous };
    if (vapid === undefined) delete next.vapidPublicKey;
    else next.vapidPublicKey = vapid;
    const moved = withSubscription(next, account, await subscribe(account, vapid));
    await release(context, previous);
    return saveRegistration(context, existing, moved);
  }

  const backend: DistributorBackend = {
    async register(request) {
      try {
        return await context.perApp(unifiedPushOwner(request.service), () => register(request));
      } catch (error) {
        if (NETWORK_CODES.some((code) => isFosspushError(error, code))) return { failure: 'NETWORK' };
        throw error;
      }
    },
    async findToken(token) {
      const known = await tokens.get(token);
      return known && { service: known.service, version: known.version };
    },
    async unregister(token) {
      const known = await tokens.get(token);
      if (!known) return;
      const owner = unifiedPushOwner(known.service);
      await context.perApp(owner, async () => {
        const registration = await store.getRegistration(known.registrationId);
        if (registration) {
          await release(context, readFields(registration));
          await store.deleteRegistration(registration.id);
          await context.queues.recount(owner);
        }
        await tokens.delete(token);
      });
      logger.info('unifiedpush_unregistered', { service: known.service, registrationId: known.registrationId });
    },
  };

  const distributor = createDistributor({ bus, backend, name: settings.name, callTimeoutMs: settings.callTimeoutMs, logger });
  const delivery = createUnifiedPushDelivery(context, tokens, distributor.connectors);

  /** Tells the app its token changed, or that the daemon dropped it. */
  async function onNotification<N extends IpcNotificationName>(name: N, params: IpcNotifications[N]): Promise<void> {
    if (name === 'message') {
      await delivery.flush((params as IpcNotifications['message']).message.registrationId);
    } else if (name === 'token') {
      const registration = await store.getRegistration((params as IpcNotifications['token']).registration.registrationId);
      const fields = registration && readFields(registration);
      const known = fields && (await tokens.get(fields.instance));
      if (fields && known) await distributor.connectors.newEndpoint(known, fields.instance, fields.endpoint);
    } else if (name === 'deleted') {
      logger.warn('unifiedpush_messages_dropped', { owner: params.appId, count: (params as IpcNotifications['deleted']).count });
    }
  }

  /**
   * The daemon tells observers of an app about new messages and token changes; a UnifiedPush
   * app observes through this sink, which turns them into D-Bus calls.
   */
  const sink: IpcConnection = {
    id: -1,
    closed: false,
    notify(name, params) {
      onNotification(name, params).catch((error: unknown) => logger.warn('unifiedpush_notify_failed', { name, error }));
      return true;
    },
    onClose() {},
    close() {},
  };
  const observe = (owner: string) => {
    if (observed.has(owner)) return;
    observed.add(owner);
    context.observers.add(owner, sink);
  };

  const registrationsOf = async (service: string) => (await tokens.list()).filter(({ value }) => value.service === service).map(({ value }) => value.registrationId);
  const stopWatching = bus.onNameOwnerChanged((name, _old, newOwner) => {
    if (newOwner === '' || name.startsWith(':')) return;
    // An app came onto the bus: whatever waited for it goes now.
    void registrationsOf(name).then((ids) => Promise.all(ids.map((id) => delivery.flush(id))));
  });
  bus.onClose((error) => logger.error('unifiedpush_bus_lost', { error, reason: 'the D-Bus connection closed; UnifiedPush apps get nothing until fosspushd restarts' }));

  try {
    await distributor.start();
  } catch (error) {
    stopWatching();
    throw error;
  }

  await resume();
  const { timers } = context.runtime;
  let stopped = false;
  let timer: TimerHandle;
  const redeliverLater = () => {
    timer = timers.setTimeout(() => {
      if (stopped) return;
      for (const id of delivery.waiting) void delivery.flush(id);
      redeliverLater();
    }, settings.redeliveryIntervalMs);
  };
  redeliverLater();
  logger.info('unifiedpush_ready', { busName: distributor.busName, account: account.config.id });

  /** After a restart: tell apps whose registrations are gone, and offer every kept message. */
  async function resume(): Promise<void> {
    for (const { token, value } of await tokens.list()) {
      const registration = await store.getRegistration(value.registrationId);
      if (!registration || !context.accounts.has(readFields(registration).account)) {
        await tokens.delete(token);
        if (registration) await store.deleteRegistration(registration.id);
        logger.warn('unifiedpush_registration_dropped', { service: value.service, reason: registration ? 'its account is no longer configured' : 'its registration is gone' });
        await distributor.connectors.unregistered(value, token).catch(() => {});
        continue;
      }
      observe(registration.owner);
      void delivery.flush(registration.id);
    }
  }

  return {
    busName: distributor.busName,
    async stop() {
      stopped = true;
      delivery.close();
      timers.clearTimeout(timer);
      stopWatching();
      await distributor.close();
      await bus.close();
    },
  };
}
