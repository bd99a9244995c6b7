import { setTimeout as sleep } from 'node:timers/promises';
import { FosspushError, resolveRuntime, type Runtime, type Store, withDefaults } from '@fosspush/core';
import { createIpcServer, defaultSocketPath, type IpcServer, type IpcServerOptions, type StatusResult } from '@fosspush/ipc';
import { createSqliteStore } from '@fosspush/store-sqlite';
import { type Account, type ChannelFactory, createAccount } from './account.js';
import { createAppCredentials } from './app-credentials.js';
import { createAppQueues } from './app-queues.js';
import { createChannelForAccount } from './channels.js';
import { prepareDataFolder } from './data-folder.js';
import type { AccountConfig } from './accounts.js';
import { allRegistrations, type DaemonContext } from './context.js';
import { deliver } from './delivery.js';
import { createHandlers } from './handlers.js';
import { daemonStatus } from './status.js';
import { createKeyedQueue } from './keyed-queue.js';
import { type Logger, silentLogger } from '@fosspush/core';
import { Observers } from './observers.js';
import { createRecords } from './records.js';
import { RegistrationIndex } from './registration-index.js';
import { readFields } from './registration-record.js';
import { applySubscriptionChange, restoreSubscriptions } from './subscriptions.js';
import { startUnifiedPush, type UnifiedPushOptions, type UnifiedPushService } from './unifiedpush-distributor.js';
import { createUnifiedPushTokens } from './unifiedpush-tokens.js';
import { DAEMON_VERSION } from './version.js';

export interface DaemonOptions {
  /** Folder for the database (`fosspushd.db`): created 0700, or tightened to 0700 if it is ours and looser. */
  dataDir: string;
  /** @default defaultSocketPath() */
  socketPath?: string;
  accounts: readonly AccountConfig[];
  /** The account a registration lands on when the app names none. @default the first account */
  defaultAccount?: string;
  /**
   * A message the daemon accepted waits for its app at least this long, even when its TTL is
   * shorter: once here it is on the device, and an app that is not running must still get it.
   * @default 604800 (7 days)
   */
  minRetentionSeconds?: number;
  /** Unread messages kept per app; past it the oldest are dropped and the app told. @default 1000 */
  maxQueuedPerApp?: number;
  /**
   * Refuse (VAPID_REQUIRED) a new push-server registration that names no VAPID key. Without a
   * key a token is a bearer capability: anyone who learns it can push to the app. With one, the
   * push server accepts only pushes that key signs (RFC 8292). Email accounts are not affected:
   * the email channel authenticates senders by their pinned OpenPGP key.
   * @default false
   */
  requireVapid?: boolean;
  /** @default 60000 */
  purgeIntervalMs?: number;
  /** First wait before retrying an account that could not connect; doubles up to the max. @default 500 */
  reconnectInitialDelayMs?: number;
  /** @default 30000 */
  reconnectMaxDelayMs?: number;
  /** @default no logging */
  logger?: Logger;
  /** @default the push-server (WebSocket, SSE fallback) and email channels */
  createChannel?: ChannelFactory;
  runtime?: Partial<Runtime>;
  ipc?: Pick<IpcServerOptions, 'maxFrameBytes' | 'maxWriteBufferBytes' | 'maxPendingRequests' | 'maxConnections'>;
  /** fosspushd as a UnifiedPush distributor on the D-Bus session bus. @default on when a session bus exists */
  unifiedPush?: UnifiedPushOptions;
}

export const DAEMON_DEFAULTS = {
  minRetentionSeconds: 604_800,
  maxQueuedPerApp: 1000,
  requireVapid: false,
  purgeIntervalMs: 60_000,
  reconnectInitialDelayMs: 500,
  reconnectMaxDelayMs: 30_000,
} as const satisfies Partial<DaemonOptions>;

export interface Daemon {
  readonly socketPath: string;
  /** Opens the store, listens on the socket, then brings the accounts up in the background. */
  start(): Promise<void>;
  /** Stops accepting work, lets in-flight deliveries finish, closes channels and the store. */
  stop(): Promise<void>;
  status(): Promise<StatusResult>;
}

/**
 * The device daemon: one connection per account for every app, a SQLite store, and the IPC
 * socket apps talk to.
 *
 * @example
 * const daemon = createDaemon({ dataDir, accounts: [{ id: 'home', type: 'push-server', url }] });
 * await daemon.start();
 */
export function createDaemon(options: DaemonOptions): Daemon {
  const settings = withDefaults(DAEMON_DEFAULTS, options);
  const socketPath = options.socketPath ?? defaultSocketPath();
  const runtime = resolveRuntime(options.runtime);
  const logger = options.logger ?? silentLogger;
  const factory = options.createChannel ?? createChannelForAccount;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let store: Store | undefined;
  let ipc: IpcServer | undefined;
  let context: DaemonContext | undefined;
  let purgeTimer: ReturnType<typeof setInterval> | undefined;
  let unifiedPush: UnifiedPushService | undefined;
  const startedAt = runtime.clock.now();

  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const bringingUp = new Set<Account>();

  /**
   * Connects an account and hands its channel the stored registrations. The channels retry
   * dropped connections themselves; this loop covers what they give up on (a first connect
   * that fails, a server that forgot the device's subscription set), but not a channel that
   * `failed`: its error needs a person (`fosspushd status` shows it).
   */
  async function bringUp(ctx: DaemonContext, account: Account): Promise<void> {
    if (bringingUp.has(account)) return;
    bringingUp.add(account);
    try {
      await connectAndRestore(ctx, account);
    } finally {
      bringingUp.delete(account);
    }
  }

  async function connectAndRestore(ctx: DaemonContext, account: Account): Promise<void> {
    let delayMs = settings.reconnectInitialDelayMs;
    while (!stopping.signal.aborted) {
      try {
        await account.channel.connect();
        await restoreSubscriptions(ctx, account);
        delete account.lastError;
        logger.info('account_ready', { account: account.config.id, kind: account.channel.kind, registrations: ctx.index.countFor(account.config.id) });
        return;
      } catch (error) {
        if (stopping.signal.aborted) return;
        account.lastError = (error as Error).message;
        if (account.channel.state === 'failed') {
          // No retry fixes it (a refused login): trying again would only lock the account.
          logger.error('account_failed', { account: account.config.id, error });
          return;
        }
        logger.warn('account_unreachable_retrying', { account: account.config.id, error, retryInMs: delayMs });
        await sleep(delayMs, undefined, { signal: stopping.signal }).catch(() => {});
        delayMs = Math.min(delayMs * 2, settings.reconnectMaxDelayMs);
      }
    }
  }

  async function purge(ctx: DaemonContext): Promise<void> {
    const expired = await ctx.store.purgeExpired();
    if (expired === 0) return;
    logger.info('expired_messages_purged', { count: expired });
    for (const appId of await ctx.owners()) await ctx.queues.recount(appId);
  }

  return {
    socketPath,
    async start() {
      if (options.accounts.length === 0) throw new FosspushError('INVALID_REQUEST', 'the daemon needs at least one account');
      const opened = createSqliteStore({ path: await prepareDataFolder(options.dataDir, logger), runtime });
      store = opened;
      const observers = new Observers();
      const accounts = new Map<string, Account>();
      try {
        for (const config of options.accounts) {
          const state = createRecords(opened, `state/${config.id}`);
          accounts.set(config.id, await createAccount(config, factory, { state, runtime, logger }));
        }
      } catch (error) {
        await opened.close();
        throw error;
      }
      const defaultAccount = options.defaultAccount ?? (options.accounts[0] as AccountConfig).id;
      if (!accounts.has(defaultAccount)) throw new FosspushError('INVALID_REQUEST', `defaultAccount ${defaultAccount} is not configured`);
      const credentials = createAppCredentials(createRecords(opened, 'apps'), runtime.random);
      const unifiedPushTokens = createUnifiedPushTokens(createRecords(opened, 'unifiedpush'));
      const ctx: DaemonContext = {
        store: opened,
        credentials,
        accounts,
        defaultAccount,
        index: new RegistrationIndex(),
        observers,
        queues: createAppQueues(opened, createRecords(opened, 'deleted'), observers, settings.maxQueuedPerApp),
        perApp: createKeyedQueue(),
        runtime,
        logger,
        minRetentionSeconds: settings.minRetentionSeconds,
        owners: async () => [...(await credentials.knownApps()), ...(await unifiedPushTokens.owners())],
        requireVapid: settings.requireVapid,
      };
      context = ctx;
      for (const registration of await allRegistrations(ctx)) {
        const fields = readFields(registration);
        ctx.index.set(fields.account, fields.channelRegistrationId, registration.id);
      }
      for (const appId of await ctx.owners()) await ctx.queues.recount(appId);

      for (const account of accounts.values()) {
        account.channel.on('message', (event) => {
          track(
            deliver(ctx, account, event).catch((error: unknown) => {
              // Not acked, so the channel delivers it again: nothing is lost.
              logger.error('delivery_failed', { account: account.config.id, messageId: event.message.id, error });
            }),
          );
        });
        account.channel.on('state', (state) => {
          logger.info('account_state', { account: account.config.id, state, kind: account.channel.kind });
          // A channel closes by itself only when it cannot go on (the server forgot the set).
          if (state === 'closed' && !stopping.signal.aborted) void bringUp(ctx, account);
        });
        account.channel.on('subscriptionChanged', (subscription) => {
          track(
            applySubscriptionChange(ctx, account, subscription).catch((error: unknown) => {
              logger.error('subscription_change_failed', { account: account.config.id, channelRegistrationId: subscription.registrationId, error });
            }),
          );
        });
        account.channel.on('error', (error) => {
          account.lastError = error.message;
          logger.warn('account_trouble', { account: account.config.id, error });
        });
      }

      ipc = createIpcServer(createHandlers(ctx, { socketPath, startedAt, version: DAEMON_VERSION }), {
        ...options.ipc,
        socketPath,
        onEvent: (event) => {
          if (event.type === 'handler-failed') logger.error('ipc_handler_failed', { method: event.method, error: event.error });
          else if (event.type === 'slow-reader') logger.warn('ipc_slow_reader_dropped', { connection: event.connection, bufferedBytes: event.bufferedBytes });
          else if (event.type === 'rejected') logger.warn('ipc_connection_refused', { reason: event.reason });
          else logger.debug(`ipc_${event.type.replaceAll('-', '_')}`, { ...event, error: 'error' in event ? event.error.code : undefined });
        },
      });
      await ipc.listen();
      purgeTimer = setInterval(() => void purge(ctx).catch((error: unknown) => logger.error('purge_failed', { error })), settings.purgeIntervalMs);
      purgeTimer.unref();
      logger.info('fosspushd_listening', { socket: socketPath, dataDir: options.dataDir, accounts: [...accounts.keys()], version: DAEMON_VERSION });
      unifiedPush = await startUnifiedPush(ctx, unifiedPushTokens, options.unifiedPush);
      for (const account of accounts.values()) void bringUp(ctx, account);
    },

    async stop() {
      stopping.abort();
      if (purgeTimer) clearInterval(purgeTimer);
      await ipc?.close();
      await unifiedPush?.stop();
      if (context) await Promise.all([...context.accounts.values()].map((account) => account.channel.close().catch(() => {})));
      await Promise.all([...inFlight]);
      await store?.close();
      logger.info('fosspushd_stopped');
    },

    async status() {
      if (!context) throw new FosspushError('UNAVAILABLE', 'the daemon is not started');
      return daemonStatus(context, { socketPath, startedAt, version: DAEMON_VERSION });
    },
  };
}
