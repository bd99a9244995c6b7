import {
  ASCII_ADDRESS_PATTERN,
  type Channel,
  type ChannelEvents,
  type ChannelSubscription,
  createChannelLifecycle,
  createEmitter,
  createMemoryChannelState,
  createSerialQueue,
  type EmailIdentity,
  emailTokenExtras,
  FosspushError,
  generateEmailIdentity,
  REGISTRATION_ID_PATTERN,
  resolveRuntime,
  toBase64Url,
  toFosspushError,
  validateMessageId,
  withDefaults,
} from '@fosspush/core';
import { createImapStateView } from './channel-state.js';
import { createAckedMailLedger } from './ledger.js';
import { IMAP_CHANNEL_DEFAULTS, type ImapChannelOptions } from './options.js';
import { createReceiver } from './receiver.js';
import { createImapSession, type ImapSession, type ServerFolders } from './session.js';

/**
 * Errors no reconnect will fix, on which the channel turns `failed` and stops trying until a
 * person acts (`fosspushd status` shows the reason):
 * - UNAUTHENTICATED, a refused login: a wrong password stays wrong, and retrying it can get
 *   the account locked;
 * - any FosspushError with `details.permanent: true`. That is the convention for the IMAP
 *   error mapping (imap-errors.ts, mailbox-ops.ts): an error that will come back on every
 *   attempt (a server refusal that no reconnect changes) sets it; a transient one (a dropped
 *   connection, a timeout, a server that is busy) leaves it out and is retried with backoff.
 */
export function isPermanentImapError(error: FosspushError): boolean {
  return error.code === 'UNAUTHENTICATED' || error.details['permanent'] === true;
}

/** The email channel: a Channel plus what it negotiated with the server, for status displays. */
export interface ImapChannel extends Channel {
  readonly kind: 'email';
  /** How INBOX arrivals are watched in the current session: `off` with `watchInbox: false`. */
  readonly inboxWatch: 'notify' | 'connection' | 'off' | undefined;
  /** The folders as the server names them, once connected: a Sieve rule must file into `folders.notify`. */
  readonly folders: ServerFolders | undefined;
}

/** The options once resolved: derived from the defaults, so the two cannot drift apart. */
export type ResolvedImapChannelOptions = ReturnType<typeof resolveOptions>;

function resolveOptions(options: ImapChannelOptions) {
  if (typeof options?.imap?.host !== 'string' || typeof options.imap.auth?.user !== 'string') {
    throw new FosspushError('INVALID_REQUEST', 'createImapChannel needs imap.host and imap.auth.user');
  }
  const address = options.address ?? options.imap.auth.user;
  if (!ASCII_ADDRESS_PATTERN.test(address)) {
    throw new FosspushError('INVALID_REQUEST', `the account address ${JSON.stringify(address)} is not a plain e-mail address: set options.address`, {
      details: { field: 'address' },
    });
  }
  const resolved = {
    ...withDefaults(IMAP_CHANNEL_DEFAULTS, options),
    address,
    reconnect: withDefaults(IMAP_CHANNEL_DEFAULTS.reconnect, options.reconnect),
  };
  for (const field of ['idleRestartMs', 'watchdogIntervalMs', 'commandTimeoutMs', 'ackTimeoutMs', 'quarantineRetentionMs', 'fetchBatchSize'] as const) {
    const value = resolved[field];
    if (!Number.isFinite(value) || value <= 0) {
      throw new FosspushError('INVALID_REQUEST', `${field} must be a positive number`, { details: { field } });
    }
  }
  if (!Number.isFinite(resolved.unknownSenderGraceMs) || resolved.unknownSenderGraceMs < 0) {
    throw new FosspushError('INVALID_REQUEST', 'unknownSenderGraceMs must be zero or more', { details: { field: 'unknownSenderGraceMs' } });
  }
  return resolved;
}

/**
 * The receiving half of the email channel (Email-notify spec): one IMAP connection per
 * account, shared by every registration, IDLE on the notification folder, notifications that
 * land in INBOX moved out at once, each one verified, handed on as a `message` event and
 * expunged after the host's `ack`. Forged, expired, replayed or malformed notifications are
 * reported as `error` events and moved to the quarantine folder; nothing else in the mailbox
 * is ever read, moved or flagged.
 *
 * `connect()` resolves once the first session is watching the mailbox, retries transient
 * failures with jittered backoff (core's `createChannelLifecycle`), and rejects when an error
 * is permanent (`isPermanentImapError`: the state turns `failed`) or the channel is closed.
 *
 * @example
 * const channel = createImapChannel({
 *   address: 'alice@example.org',
 *   imap: { host: 'imap.example.org', auth: { user: 'alice@example.org', pass } },
 *   state, // the daemon's ChannelStateStore for this account
 * });
 * channel.on('message', ({ registrationId, message }) => store(registrationId, message).then(() => channel.ack(registrationId, message.id)));
 * await channel.connect();
 * const { registrationId, endpoint, extras } = await channel.subscribe({});
 */
export function createImapChannel(options: ImapChannelOptions): ImapChannel {
  const config = resolveOptions(options);
  const runtime = resolveRuntime(options.runtime);
  const emitter = createEmitter<ChannelEvents>();
  const store = options.state ?? createMemoryChannelState();
  const state = createImapStateView(store);
  const ledger = createAckedMailLedger(store, runtime.clock);
  let inboxWatch: ImapChannel['inboxWatch'];
  let folders: ServerFolders | undefined;

  const lifecycle = createChannelLifecycle({
    runtime,
    events: emitter,
    reconnect: config.reconnect,
    async load() {
      let identity = await state.identity();
      if (identity === undefined) {
        identity = await generateEmailIdentity(config.address, runtime);
        await state.saveIdentity(identity);
      }
      const registrations = await state.registrations();
      await ledger.load();
      const receiver = createReceiver({
        identity,
        registrations,
        state,
        ledger,
        emitter,
        runtime,
        ackTimeoutMs: config.ackTimeoutMs,
        unknownSenderGraceMs: config.unknownSenderGraceMs,
      });
      return { identity, registrations, receiver };
    },
    start({ receiver }, link): ImapSession {
      const session = createImapSession({
        options: config,
        receiver,
        ledger,
        state,
        timers: runtime.timers,
        clock: runtime.clock,
        onReady(info) {
          if (!link.current) return;
          inboxWatch = info.inboxWatch;
          folders = info.folders;
          link.ready();
        },
      });
      // A failed session is not repaired: the lifecycle stops it and starts a new one.
      session.run().then(
        () => undefined,
        (error: FosspushError) => link.dropped(error),
      );
      return session;
    },
    stop: (session) => session.stop(),
    isFatal: isPermanentImapError,
  });

  // Subscribe and unsubscribe run one at a time: both rewrite the registration list.
  const serially = createSerialQueue();

  const toSubscription = (identity: EmailIdentity, registrationId: string): ChannelSubscription => ({
    registrationId,
    endpoint: `mailto:${config.address}`,
    extras: emailTokenExtras({ deviceKey: identity.publicKey, registrationId }),
  });

  return {
    kind: 'email',
    on: emitter.on,
    get state() {
      return lifecycle.state;
    },
    get failure() {
      return lifecycle.failure;
    },
    get inboxWatch() {
      return inboxWatch;
    },
    get folders() {
      return folders;
    },
    connect: () => lifecycle.connect(),
    close: () => lifecycle.close(undefined, () => ledger.flush().catch((error: unknown) => emitter.emit('error', toFosspushError(error)))),

    subscribe(request) {
      return serially(async () => {
        const { identity, registrations } = await lifecycle.load();
        if (request.registrationId !== undefined) {
          if (!registrations.has(request.registrationId)) {
            throw new FosspushError('NOT_FOUND', `no registration ${request.registrationId} on this email account`);
          }
          return toSubscription(identity, request.registrationId);
        }
        const registrationId = toBase64Url(runtime.random.bytes(16));
        if (!REGISTRATION_ID_PATTERN.test(registrationId)) throw new FosspushError('INTERNAL', 'generated an invalid registration id');
        registrations.add(registrationId);
        try {
          await state.saveRegistrations(registrations);
        } catch (error) {
          registrations.delete(registrationId);
          throw toFosspushError(error);
        }
        return toSubscription(identity, registrationId);
      });
    },

    unsubscribe(registrationId) {
      return serially(async () => {
        const { registrations } = await lifecycle.load();
        if (!registrations.has(registrationId)) throw new FosspushError('NOT_FOUND', `no registration ${registrationId} on this email account`);
        registrations.delete(registrationId);
        await state.saveRegistrations(registrations);
        await state.forgetSenderKey(registrationId);
      });
    },

    async ack(registrationId, messageId) {
      validateMessageId(messageId);
      const { receiver } = await lifecycle.load();
      if (await receiver.ack(registrationId, messageId)) lifecycle.connection?.wake('folder');
    },
  };
}
