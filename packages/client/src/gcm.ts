import { FosspushError } from '@fosspush/core';
import type { ClientOptions, ReceivedMessage } from './app-session.js';
import { GCM_CLIENT_ERRORS, gcmCall } from './gcm-errors.js';
import { InstanceID, instanceName } from './instance-id.js';
import type { GcmListenerService } from './listener-service.js';
import { isFcmInstance } from './messaging.js';
import { senderRestriction } from './sender-restriction.js';
import { sessionFor } from './sessions.js';

/** What a GCM BroadcastReceiver got: the message data plus GCM's own extras. */
export interface GcmIntent {
  action: 'com.google.android.c2dm.intent.RECEIVE';
  /** The message's data, plus `from`, and `message_type` / `total_deleted` for deletions. */
  extras: Record<string, string>;
  /** The decrypted message, for a `gcm` intent. */
  message?: ReceivedMessage;
}

/** GCM's registration scope: `register(...senderIds)` is `InstanceID.getToken(senderIds, 'GCM')`. */
const GCM_SCOPE = InstanceID.INSTANCE_ID_SCOPE;

/** GCM listeners take every token's messages (register's and InstanceID's) except the FCM-style one. */
const isGcmInstance = (instance: string) => !isFcmInstance(instance);

/**
 * Mirrors `com.google.android.gms.gcm.GoogleCloudMessaging`, over the local fosspushd.
 * Failures reject with a FosspushError whose `message` is GCM's error string
 * (`GoogleCloudMessaging.ERROR_SERVICE_NOT_AVAILABLE`...), as Android's IOException carried it.
 *
 * @example
 * const gcm = GoogleCloudMessaging.getInstance({ appId: 'org.example.chat' });
 * const token = await gcm.register(vapidPublicKey); // or a GCM sender id: then a bearer token
 * gcm.setListener(new (class extends GcmListenerService {
 *   override onMessageReceived(from: string, data: Record<string, string>) { console.log(from, data); }
 * })());
 */
export class GoogleCloudMessaging {
  static readonly ERROR_MAIN_THREAD = GCM_CLIENT_ERRORS.MAIN_THREAD;
  static readonly ERROR_SERVICE_NOT_AVAILABLE = GCM_CLIENT_ERRORS.SERVICE_NOT_AVAILABLE;
  static readonly INSTANCE_ID_SCOPE = GCM_SCOPE;
  static readonly MESSAGE_TYPE_MESSAGE = 'gcm';
  static readonly MESSAGE_TYPE_DELETED = 'deleted_messages';
  static readonly MESSAGE_TYPE_SEND_ERROR = 'send_error';
  static readonly MESSAGE_TYPE_SEND_EVENT = 'send_event';

  private static readonly instances = new Map<string, GoogleCloudMessaging>();
  private listenerOff: (() => void)[] = [];

  private constructor(private readonly options: ClientOptions) {}

  /** One instance per app id (the first call's options win), like GCM's per-context singleton. */
  static getInstance(options: ClientOptions): GoogleCloudMessaging {
    const existing = GoogleCloudMessaging.instances.get(options.appId);
    if (existing) return existing;
    const created = new GoogleCloudMessaging(options);
    GoogleCloudMessaging.instances.set(options.appId, created);
    return created;
  }

  private get session() {
    return sessionFor(this.options);
  }

  /**
   * Registers for messages from these senders; the same token comes back on every call. Pass
   * the app server's VAPID public key as the sender id to get a token only that server can
   * push to (RFC 8292); a numeric GCM sender id makes a bearer token anyone holding it can use.
   */
  register(...senderIds: string[]): Promise<string> {
    return gcmCall(async () => {
      if (senderIds.length === 0) throw new FosspushError('INVALID_REQUEST', 'register needs at least one sender id');
      const vapidPublicKey = senderRestriction(senderIds);
      const registration = await this.session.register({
        instance: instanceName(senderIds.join(','), GCM_SCOPE),
        senderIds,
        vapidPublicKey,
      });
      return registration.token;
    });
  }

  /** Stops messages to every token `register` made; the next `register` makes a new one. */
  unregister(): Promise<void> {
    return gcmCall(async () => {
      for (const registration of await this.session.registrations()) {
        if (registration.instance.endsWith(`|${GCM_SCOPE}`)) await this.session.unregister(registration.instance);
      }
    });
  }

  /**
   * Upstream (device to app server) messages. Only a channel that declares upstream support
   * carries them; the push-server and email channels do not, so this rejects with
   * SERVICE_NOT_AVAILABLE there, as GCM did without a connection.
   */
  send(to: string, msgId: string, timeToLiveOrData: number | Record<string, string>, maybeData?: Record<string, string>): Promise<void> {
    return gcmCall(async () => {
      const data = typeof timeToLiveOrData === 'number' ? maybeData : timeToLiveOrData;
      if (!to || !msgId || typeof data !== 'object' || data === null) {
        throw new FosspushError('INVALID_REQUEST', 'send needs a destination, a message id and a data object');
      }
      const registrations = await this.session.registrations();
      const upstream = registrations.filter((r) => r.capabilities.upstream).map((r) => r.account);
      throw new FosspushError(
        'UNAVAILABLE',
        upstream.length === 0
          ? 'no channel of this app carries upstream messages (the push-server and email channels are downstream only)'
          : `upstream messages over ${upstream.join(', ')} are not supported by this SDK version`,
      );
    });
  }

  /** The message type of an intent a receiver got: MESSAGE_TYPE_MESSAGE unless it says otherwise. */
  getMessageType(intent: Pick<GcmIntent, 'extras'>): string {
    return intent.extras['message_type'] ?? GoogleCloudMessaging.MESSAGE_TYPE_MESSAGE;
  }

  /**
   * Attaches the app's listener service; `null` detaches it. Attaching starts delivery, first
   * of what the app missed while it was not running.
   */
  setListener(service: GcmListenerService | null): void {
    for (const off of this.listenerOff.splice(0)) off();
    if (!service) return;
    this.listenerOff.push(
      this.session.onMessage((message) => service.onMessageReceived(message.from, { ...message.data }, message), isGcmInstance),
      this.session.on('deleted', () => void service.onDeletedMessages()),
    );
  }

  /** The BroadcastReceiver style: every message and deletion as an intent. Returns the remover. */
  addReceiver(receiver: (intent: GcmIntent) => unknown): () => void {
    const offMessage = this.session.onMessage(
      (message) => receiver({ action: 'com.google.android.c2dm.intent.RECEIVE', extras: { ...message.data, from: message.from }, message }),
      isGcmInstance,
    );
    const offDeleted = this.session.on('deleted', (count) =>
      receiver({
        action: 'com.google.android.c2dm.intent.RECEIVE',
        extras: { message_type: GoogleCloudMessaging.MESSAGE_TYPE_DELETED, total_deleted: String(count) },
      }),
    );
    return () => {
      offMessage();
      offDeleted();
    };
  }

  /** Releases the connection to the daemon. */
  async close(): Promise<void> {
    for (const off of this.listenerOff.splice(0)) off();
    GoogleCloudMessaging.instances.delete(this.options.appId);
    await this.session.close();
  }
}
