import {
  type Channel,
  type ChannelEvents,
  type ChannelOptions,
  type ChannelSubscription,
  type ConnectionLink,
  createChannelLifecycle,
  createDropCounter,
  createDueTimer,
  createEmitter,
  createMemoryChannelState,
  createSerialQueue,
  FosspushError,
  PUSH_LIMITS,
  type PushMessage,
  type ReconnectOptions,
  type RenewalPolicy,
  renewalTime,
  resolveRuntime,
  toBase64Url,
  toFosspushError,
  withDefaults,
} from '@fosspush/core';
import { client, type Client, xml } from '@xmpp/client';
import { createHash } from 'node:crypto';
import { trustCertificates, untrustedCertificate } from './tls.js';
import { DISCO_INFO_NS, type Element, DISCO_ITEMS_NS, offersUnifiedPush, parsePush, parseRegistered, registerElement, stanzaError, UNIFIED_PUSH_NS } from './protocol.js';

export interface XmppChannelOptions extends ChannelOptions {
  /** The account, `alice@example.org`. */
  jid: string;
  password: string;
  /** Where to connect. @default the JID's domain */
  host?: string;
  /** @default 5222, or 5223 with `directTls` */
  port?: number;
  /** TLS from the first byte (XEP-0368 style) instead of STARTTLS. @default false */
  directTls?: boolean;
  /**
   * CA certificates (PEM) to check the server's certificate against, instead of the system's
   * (a server with its own CA). The certificate must name the JID's domain. One that does not
   * verify ends the channel in `failed` with UNAUTHENTICATED.
   * @default the system's CA store
   */
  ca?: string | readonly string[];
  /**
   * Stay on a connection without TLS (a server on loopback). The password itself never crosses
   * one in clear: without TLS the client logs in with SCRAM only.
   * @default false
   */
  allowPlaintext?: boolean;
  /** The UnifiedPush service's JID, when discovery (disco on the domain and its items) finds none. @default discovered */
  componentJid?: string;
  /** Seconds a pushed message stays in the host's queue: the stanza carries no TTL. @default PUSH_LIMITS.maxTtlSeconds */
  messageTtlSeconds?: number;
  /** How long a push waits for `ack` before the server is told to try later. @default 30000 */
  ackTimeoutMs?: number;
  /**
   * When to register an endpoint again (a new endpoint, so a new token) before the service
   * expires it (Prosody: `unified_push_registration_ttl`, a day by default). Renewal runs while
   * connected, and the new endpoint is reported with `subscriptionChanged`.
   * @default RENEWAL_DEFAULTS: at 80% of the lifetime, minus up to 10% at random
   */
  renewal?: Partial<RenewalPolicy>;
  /** After a failed renewal, the next try. @default 60000 */
  renewRetryMs?: number;
  /** Time for one iq (discovery, register) to be answered. @default 15000 */
  requestTimeoutMs?: number;
  /** @default RECONNECT_DEFAULTS */
  reconnect?: Partial<ReconnectOptions>;
}

export const XMPP_CHANNEL_DEFAULTS = {
  directTls: false,
  allowPlaintext: false,
  messageTtlSeconds: PUSH_LIMITS.maxTtlSeconds,
  ackTimeoutMs: 30_000,
  renewRetryMs: 60_000,
  requestTimeoutMs: 15_000,
} satisfies Partial<XmppChannelOptions>;

/** Pushes turned away, by reason, since the channel was made. */
export interface XmppDropCounts {
  /** From a JID other than the UnifiedPush service. */
  foreign: number;
  malformed: number;
  oversized: number;
  /** For an instance this channel does not hold (unsubscribed, or never ours). */
  unknown: number;
}

export interface XmppChannel extends Channel {
  /** The UnifiedPush service's JID, once discovered. */
  readonly service: string | undefined;
  readonly dropped: Readonly<XmppDropCounts>;
}

interface StoredRegistration {
  id: string;
  /** base64 SHA-256 of the id: what the service and its pushes name the registration by. */
  instance: string;
  endpoint: string;
  expiresAt: number;
  /** When to register again, chosen when the endpoint was granted. */
  renewAt: number;
}

interface Loaded {
  resource: string;
}

/** A push delivered and waiting for `ack`; its iq is answered then. */
interface PendingPush {
  readonly registrationId: string;
  /** True once acked; false when the stream ended first. */
  readonly outcome: Promise<boolean>;
  settle(acked: boolean): void;
}

/** One XMPP stream, as the lifecycle sees it. */
interface XmppSession {
  readonly xmpp: Client;
  service: string | undefined;
  /** The lifecycle's link of the connection attempt this client now serves (a resumed client serves several). */
  link: ConnectionLink;
  /** The stream dropped while XEP-0198 resumption was on: the next attempt resumes it instead of starting afresh. */
  resumable: boolean;
}

const KEY_RESOURCE = 'xmpp:resource';
const KEY_REGISTRATIONS = 'xmpp:registrations';
/** Every registration shares one application hash: the operator sees one app, not which. */
const APPLICATION = createHash('sha256').update('fosspush').digest('base64');
const MAX_REMEMBERED_ACKS = 4096;

const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

/** A message id the same for a redelivered stanza (stream resumption) and unique across pushes. */
function messageIdOf(from: string, iqId: string, payload: Uint8Array): string {
  const hash = createHash('sha256').update(from).update('\0').update(iqId).update('\0').update(payload).digest();
  return toBase64Url(new Uint8Array(hash.subarray(0, 16)));
}

function isSaslFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'SASLError';
}

const permanent = (error: FosspushError) => error.details['permanent'] === true;

/**
 * The device side of UnifiedPush over XMPP: one stream to the user's own XMPP server, on which
 * its UnifiedPush service (Prosody's mod_unified_push) hands over every Web Push POSTed to the
 * endpoints this channel registered. The iq of a push is answered only on `ack`, so the app
 * server's POST turns 201 only once the host stored the message: nothing accepted is lost.
 *
 * The channel never sends presence, so the user's chat messages keep going to the user's chat
 * clients and are never taken here. Its resource is fixed per state store, since the service
 * sends pushes to the full JID that registered.
 *
 * @example
 * const channel = createXmppChannel({ jid: 'alice@example.org', password, state });
 * channel.on('message', ({ registrationId, message }) => store(registrationId, message));
 * await channel.connect();
 * const { endpoint } = await channel.subscribe({});
 */
export function createXmppChannel(options: XmppChannelOptions): XmppChannel {
  const config = withDefaults(XMPP_CHANNEL_DEFAULTS, options);
  const at = options.jid.indexOf('@');
  const username = options.jid.slice(0, at);
  const domain = options.jid.slice(at + 1).split('/')[0] ?? '';
  if (at <= 0 || domain === '') throw new FosspushError('INVALID_REQUEST', `not a bare JID: ${options.jid}`, { details: { field: 'jid' } });
  const service = `${config.directTls ? 'xmpps' : 'xmpp'}://${options.host ?? domain}:${options.port ?? (config.directTls ? 5223 : 5222)}`;
  const runtime = resolveRuntime(options.runtime);
  const { clock } = runtime;
  const state = options.state ?? createMemoryChannelState();
  const emitter = createEmitter<ChannelEvents>();
  const serially = createSerialQueue();
  const registrations = new Map<string, StoredRegistration>();
  const byInstance = new Map<string, StoredRegistration>();
  const pending = new Map<string, PendingPush>();
  /** Message ids acked lately, so a redelivered push is answered without a second delivery. */
  const acked = new Set<string>();
  let discovered: string | undefined;
  /** After a failed renewal: when to try again. */
  let renewRetryAt: number | undefined;
  const renewTimer = createDueTimer(clock, runtime.timers, () => {
    renewDue().catch((error: unknown) => emitter.emit('error', toFosspushError(error)));
  });

  const drops = createDropCounter<keyof XmppDropCounts, FosspushError>(['foreign', 'malformed', 'oversized', 'unknown'], clock, (reason, count, error) =>
    emitter.emit(
      'error',
      new FosspushError(error.code, `dropped XMPP pushes (${reason}): ${count} so far; last: ${error.message}`, {
        details: { ...error.details, reason, count },
        cause: error,
      }),
    ),
  );
  const reportDrop = (reason: keyof XmppDropCounts, error: FosspushError) => drops.drop(reason, error);

  function remember(set: Set<string>, id: string) {
    set.add(id);
    if (set.size > MAX_REMEMBERED_ACKS) set.delete(set.values().next().value as string);
  }

  /** Answers one push iq: resolves to a result (undefined) or to a stanza error element. */
  async function onPush(session: XmppSession, stanza: Element, element: Element): Promise<Element | undefined> {
    const from = String(stanza.attrs['from'] ?? '');
    if (from !== session.service) {
      reportDrop('foreign', new FosspushError('UNKNOWN_SENDER', `a push from ${from || 'no JID'}, not the UnifiedPush service ${session.service ?? '(none found)'}`, { details: { from } }));
      return stanzaError('cancel', 'service-unavailable');
    }
    let push: ReturnType<typeof parsePush>;
    try {
      push = parsePush(element);
    } catch (error) {
      const typed = toFosspushError(error, 'INVALID_MESSAGE');
      const tooLarge = typed.code === 'PAYLOAD_TOO_LARGE';
      reportDrop(tooLarge ? 'oversized' : 'malformed', typed);
      return stanzaError('modify', tooLarge ? 'policy-violation' : 'bad-request');
    }
    const registration = byInstance.get(push.instance);
    if (registration === undefined) {
      reportDrop('unknown', new FosspushError('NOT_FOUND', `a push for instance ${push.instance}, which this channel does not hold`));
      return stanzaError('cancel', 'item-not-found');
    }
    const id = messageIdOf(from, String(stanza.attrs['id'] ?? ''), push.payload);
    if (acked.has(id)) return undefined;
    let waiting = pending.get(id);
    if (waiting === undefined) {
      let settle!: (acked: boolean) => void;
      const outcome = new Promise<boolean>((done) => {
        settle = done;
      });
      waiting = { registrationId: registration.id, outcome, settle };
      pending.set(id, waiting);
      const message: PushMessage = { id, payload: push.payload, ttlSeconds: config.messageTtlSeconds, urgency: 'normal', sentAt: clock.now() };
      emitter.emit('message', { registrationId: registration.id, message });
    }
    let timer: ReturnType<typeof runtime.timers.setTimeout> | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = runtime.timers.setTimeout(() => resolve(false), config.ackTimeoutMs);
    });
    const stored = await Promise.race([waiting.outcome, timedOut]);
    if (timer !== undefined) runtime.timers.clearTimeout(timer);
    if (stored) return undefined;
    pending.delete(id);
    // Not stored in time: the service answers its POST with an error and the app server retries.
    return stanzaError('wait', 'resource-constraint');
  }

  function abandonPending() {
    for (const waiting of pending.values()) waiting.settle(false);
    pending.clear();
  }

  async function discover(xmpp: Client): Promise<string> {
    if (options.componentJid !== undefined) return options.componentJid;
    const info = (jid: string) => xmpp.iqCaller.request(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: DISCO_INFO_NS })), config.requestTimeoutMs);
    if (offersUnifiedPush((await info(domain)).getChild('query', DISCO_INFO_NS))) return domain;
    const items = await xmpp.iqCaller.request(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: DISCO_ITEMS_NS })), config.requestTimeoutMs);
    for (const item of items.getChild('query', DISCO_ITEMS_NS)?.getChildren('item') ?? []) {
      const jid = item.attrs['jid'];
      if (typeof jid !== 'string') continue;
      const answer = await info(jid).catch(() => undefined);
      if (offersUnifiedPush(answer?.getChild('query', DISCO_INFO_NS))) return jid;
    }
    throw new FosspushError('UNAVAILABLE', `${domain} offers no UnifiedPush service (${UNIFIED_PUSH_NS}): enable mod_unified_push, or set componentJid`, {
      details: { permanent: true },
    });
  }

  /**
   * A client whose stream dropped with XEP-0198 resumption enabled. Prosody keeps its session
   * hibernating (smacks_hibernation_time, 10 minutes by default) and queues what comes for it,
   * pushes included; the next connection attempt resumes that session, and the queued pushes
   * arrive then. The POSTs behind them wait meanwhile, so they are answered, not lost.
   */
  let hibernated: XmppSession | undefined;
  /** Set while close() runs: a stopped client is then ended for good, not kept for resumption. */
  let closing = false;

  function openSession(loaded: Loaded, link: ConnectionLink): XmppSession {
    const kept = hibernated;
    hibernated = undefined;
    if (kept !== undefined) {
      // Still resumable if this attempt fails too: the session hibernates on the server until it is resumed or expires.
      kept.link = link;
      kept.xmpp
        .connect(service)
        .then(() => kept.xmpp.open({ domain }))
        .catch((error: unknown) => dropSession(kept, error));
      return kept;
    }
    const xmpp = client({ service, domain, username, password: options.password, resource: loaded.resource });
    // The shared lifecycle reconnects; two reconnect loops would race.
    xmpp.reconnect.stop();
    const session: XmppSession = { xmpp, service: undefined, link, resumable: false };
    const drop = (error: unknown) => dropSession(session, error);
    if (options.ca !== undefined) trustCertificates(xmpp, { domain, ca: options.ca }, drop);
    xmpp.on('error', (error: unknown) => {
      // A resumed stream logs in outside start(): a refused login shows up here only.
      if (isSaslFailure(error)) return drop(error);
      if (session.link.current) emitter.emit('error', toFosspushError(error, 'UNAVAILABLE'));
    });
    xmpp.on('disconnect', () => {
      session.resumable = xmpp.streamManagement.id !== '';
      drop(new FosspushError('UNAVAILABLE', `the XMPP stream to ${service} ended`));
    });
    xmpp.iqCallee.set(UNIFIED_PUSH_NS, 'push', (context: { stanza: Element; element: Element }) =>
      onPush(session, context.stanza, context.element).then((answer) => answer ?? {}),
    );
    const ready = () => {
      session.resumable = false;
      session.link.ready();
      // Whatever came due while the stream was down is renewed now.
      renewDue().catch((error: unknown) => emitter.emit('error', toFosspushError(error)));
    };
    // A resumed stream is the same session: the service found before still holds.
    // (@xmpp/stream-management is an EventEmitter; its published types omit that.)
    (xmpp.streamManagement as unknown as { on(event: 'resumed', listener: () => void): void }).on('resumed', () => {
      if (session.service !== undefined) ready();
    });
    xmpp.on('online', () => {
      if (!config.allowPlaintext && !xmpp.isSecure()) {
        drop(new FosspushError('UNAVAILABLE', `${service} offered no TLS; set allowPlaintext to use it anyway`, { details: { permanent: true } }));
        return;
      }
      discover(xmpp).then((jid) => {
        discovered = jid;
        session.service = jid;
        ready();
      }, drop);
    });
    xmpp.start().catch(drop);
    return session;
  }

  function dropSession(session: XmppSession, error: unknown) {
    if (!session.link.current) return;
    const refused = isSaslFailure(error) ? new FosspushError('UNAUTHENTICATED', `the XMPP server refused the login of ${options.jid}`, { cause: error }) : undefined;
    session.link.dropped(refused ?? untrustedCertificate(error, service) ?? toFosspushError(error, 'UNAVAILABLE'));
  }

  const lifecycle = createChannelLifecycle<Loaded, XmppSession>({
    runtime,
    events: emitter,
    reconnect: options.reconnect,
    async load() {
      let resource = await state.get(KEY_RESOURCE);
      if (resource === undefined) {
        resource = `fosspush-${toBase64Url(runtime.random.bytes(6))}`;
        await state.set(KEY_RESOURCE, resource);
      }
      const stored = JSON.parse((await state.get(KEY_REGISTRATIONS)) ?? '[]') as Array<Omit<StoredRegistration, 'renewAt'> & { renewAt?: number }>;
      for (const kept of stored) {
        // Kept by a version that did not plan renewals: plan as if granted now.
        const registration = { ...kept, renewAt: kept.renewAt ?? renewalTime(clock.now(), kept.expiresAt, runtime.random, options.renewal) };
        registrations.set(registration.id, registration);
        byInstance.set(registration.instance, registration);
      }
      return { resource };
    },
    start: openSession,
    async stop(session) {
      // Pushes still waiting for an ack are answered by nobody now: the service times them out (500), and the sender retries.
      abandonPending();
      if (session.resumable && !closing) {
        hibernated = session;
        return;
      }
      await session.xmpp.stop().catch(() => undefined);
    },
    isFatal: (error) => error.code === 'UNAUTHENTICATED' || permanent(error),
  });

  const saveRegistrations = () => state.set(KEY_REGISTRATIONS, JSON.stringify([...registrations.values()]));

  /** Registers an instance with the service, once connected: a fresh endpoint each time. */
  async function register(id: string, instance: string): Promise<StoredRegistration> {
    await lifecycle.connect();
    const session = lifecycle.connection;
    if (session?.service === undefined) throw new FosspushError('UNAVAILABLE', 'the XMPP stream dropped before the registration');
    return registerOn(session as XmppSession & { service: string }, id, instance);
  }

  async function registerOn(session: XmppSession & { service: string }, id: string, instance: string): Promise<StoredRegistration> {
    const grantedAt = clock.now();
    let answer: Element;
    try {
      answer = await session.xmpp.iqCaller.request(xml('iq', { type: 'set', to: session.service }, registerElement(APPLICATION, instance)), config.requestTimeoutMs);
    } catch (error) {
      const condition = (error as { condition?: unknown }).condition;
      if (condition === 'forbidden') {
        throw new FosspushError('PERMISSION_DENIED', `${session.service} does not let ${options.jid} register push endpoints (unified_push_acl)`, { cause: error });
      }
      throw toFosspushError(error, 'UNAVAILABLE');
    }
    const registered = parseRegistered(answer.getChild('registered', UNIFIED_PUSH_NS));
    return { id, instance, ...registered, renewAt: renewalTime(grantedAt, registered.expiresAt, runtime.random, options.renewal) };
  }

  /** Arms the one renewal timer for the soonest renewal (or retry), while the channel runs. */
  function scheduleRenewal() {
    if (lifecycle.state === 'closed' || lifecycle.state === 'failed' || lifecycle.state === 'idle') return renewTimer.cancel();
    let soonest = renewRetryAt;
    for (const registration of registrations.values()) soonest = Math.min(soonest ?? registration.renewAt, registration.renewAt);
    renewTimer.schedule(soonest);
  }

  /**
   * Registers again every endpoint whose renewal is due, on the open stream (while the stream is
   * down, the next ready runs this), and reports each new endpoint. The service keeps the old
   * endpoint valid until its own expiry, and its pushes name the same instance, so messages
   * sent to it in the meantime still arrive.
   */
  const renewDue = () =>
    serially(async () => {
      const session = lifecycle.connection;
      if (lifecycle.state !== 'connected' || session?.service === undefined) return;
      renewRetryAt = undefined;
      for (const registration of [...registrations.values()]) {
        if (registration.renewAt > clock.now()) continue;
        let renewed: StoredRegistration;
        try {
          renewed = await registerOn(session as XmppSession & { service: string }, registration.id, registration.instance);
        } catch (error) {
          renewRetryAt = clock.now() + config.renewRetryMs;
          const cause = toFosspushError(error, 'UNAVAILABLE');
          emitter.emit(
            'error',
            new FosspushError(cause.code, `renewing the UnifiedPush endpoint of ${registration.id} failed (it expires ${new Date(registration.expiresAt).toISOString()}); next try in ${config.renewRetryMs} ms: ${cause.message}`, {
              details: { registrationId: registration.id },
              cause,
            }),
          );
          break;
        }
        keep(renewed);
        await saveRegistrations();
        emitter.emit('subscriptionChanged', subscriptionOf(renewed));
      }
      scheduleRenewal();
    });

  function keep(registration: StoredRegistration) {
    const previous = registrations.get(registration.id);
    if (previous !== undefined) byInstance.delete(previous.instance);
    registrations.set(registration.id, registration);
    byInstance.set(registration.instance, registration);
  }

  const subscriptionOf = (registration: StoredRegistration): ChannelSubscription => ({
    registrationId: registration.id,
    endpoint: registration.endpoint,
    extras: {},
    tokenChannel: 'webpush',
  });

  return {
    kind: 'xmpp',
    on: emitter.on,
    get state() {
      return lifecycle.state;
    },
    get failure() {
      return lifecycle.failure;
    },
    get service() {
      return discovered;
    },
    get dropped() {
      return drops.counts;
    },
    connect: () => lifecycle.connect(),
    async close() {
      closing = true;
      try {
        await lifecycle.close(undefined, async () => {
          renewTimer.cancel();
          abandonPending();
          const kept = hibernated;
          hibernated = undefined;
          await kept?.xmpp.stop().catch(() => undefined);
        });
      } finally {
        closing = false;
      }
    },

    subscribe(request) {
      return serially(async () => {
        await lifecycle.load();
        if (request.registrationId !== undefined) {
          const known = registrations.get(request.registrationId);
          if (known === undefined) throw new FosspushError('NOT_FOUND', `no XMPP registration ${request.registrationId}`);
          // The endpoint stays (and so does the token) until its renewal is due.
          if (known.renewAt > clock.now()) {
            scheduleRenewal();
            return subscriptionOf(known);
          }
          const renewed = await register(known.id, known.instance);
          keep(renewed);
          await saveRegistrations();
          scheduleRenewal();
          return subscriptionOf(renewed);
        }
        const id = toBase64Url(runtime.random.bytes(16));
        const registration = await register(id, sha256Base64(id));
        keep(registration);
        await saveRegistrations();
        scheduleRenewal();
        return subscriptionOf(registration);
      });
    },

    unsubscribe(registrationId) {
      return serially(async () => {
        await lifecycle.load();
        const registration = registrations.get(registrationId);
        if (registration === undefined) return;
        // The protocol has no unregister: forgetting the instance makes its pushes item-not-found (404).
        registrations.delete(registrationId);
        byInstance.delete(registration.instance);
        await saveRegistrations();
      });
    },

    async ack(registrationId, messageId) {
      const waiting = pending.get(messageId);
      if (waiting === undefined || waiting.registrationId !== registrationId) return;
      pending.delete(messageId);
      remember(acked, messageId);
      waiting.settle(true);
    },
  };
}
