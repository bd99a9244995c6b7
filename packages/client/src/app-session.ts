import {
  createEmitter,
  decryptWebPush,
  delay,
  FosspushError,
  fromBase64Url,
  generateSubscriptionKeys,
  isFosspushError,
  resolveRuntime,
  type Runtime,
  toBase64Url,
  toFosspushError,
  type Urgency,
} from '@fosspush/core';
import {
  connectIpc,
  defaultSocketPath,
  IPC_PAGE_LIMIT,
  type IpcClient,
  type IpcMessage,
  type RegistrationInfo,
  validateAppId,
  validateInstanceName,
} from '@fosspush/ipc';
import { nodeWebPushCrypto } from '@fosspush/webpush/node';
import { type AppKeyFile, defaultKeyFile, readKeyFile, type StoredRegistration, writeKeyFile } from './key-store.js';
import { decodePayload } from './payload.js';

export interface ClientOptions {
  /** The app's id, reverse DNS style: `org.example.chat`. */
  appId: string;
  /** @default defaultSocketPath() from @fosspush/ipc */
  socketPath?: string;
  /** Where the app keeps its credential and registration keys. @default $XDG_DATA_HOME/fosspush/apps/<appId>.json */
  keyFile?: string;
  /** @default 10000 */
  requestTimeoutMs?: number;
  /** Longest wait between attempts to reach a daemon that went away while the app listens. @default 5000 */
  reconnectMaxDelayMs?: number;
  /** Trouble that has no caller to reject: a message that does not decrypt, a lost daemon. @default ignored */
  onError?: (error: FosspushError) => void;
  /** Clock and random source (a new instance id and its date), timers (waits to reach the daemon again). */
  runtime?: Partial<Runtime>;
}

export const CLIENT_DEFAULTS = {
  requestTimeoutMs: 10_000,
  reconnectMaxDelayMs: 5_000,
} as const satisfies Partial<ClientOptions>;

/** A message as the app receives it, decrypted. */
export interface ReceivedMessage {
  messageId: string;
  /** The registration's instance (GCM: `<senderIds>|GCM`; FCM: `*|FCM`). */
  instance: string;
  registrationId: string;
  /** GCM's `from`: the first sender id the app registered with, else the instance. */
  from: string;
  data: Record<string, string>;
  notification?: Record<string, string>;
  /** The decrypted plaintext, whatever its format. */
  rawData: Uint8Array;
  /** The sender's collapse key, as given (the RFC 8030 Topic may carry only its hash). */
  collapseKey?: string;
  sentAt: number;
  ttlSeconds: number;
  urgency: Urgency;
}

export interface RegisterRequest {
  instance: string;
  senderIds?: string[];
  vapidPublicKey?: string;
  account?: string;
}

type SessionEvents = {
  deleted: number;
  token: { instance: string; token: string };
};

export type MessageListener = (message: ReceivedMessage) => unknown;
/** Which instances a listener takes messages for. */
export type InstanceFilter = (instance: string) => boolean;

/**
 * One app's link to the daemon, shared by every API object of that app (GCM, InstanceID, FCM).
 * Connects lazily, keeps the key file, decrypts, and acks a message only after the app's
 * listeners returned, so a crash in between means the message comes again.
 */
export class AppSession {
  private readonly events = createEmitter<SessionEvents>();
  /** Kept apart from `events` because delivery awaits each one before acking. */
  private readonly messageListeners = new Map<MessageListener, InstanceFilter>();
  private readonly keyFilePath: string;
  private readonly socketPath: string;
  private readonly runtime: Runtime;
  private file: Promise<AppKeyFile> | undefined;
  private ipc: Promise<IpcClient> | undefined;
  private observing: Promise<void> | undefined;
  private closed = false;
  /** Messages handed to listeners and not yet acked: a backlog page and a live notification may both carry one. */
  private readonly inFlight = new Set<string>();
  /** Handed to the app but the ack did not reach the daemon (it went away): acked again, never redelivered. */
  private readonly unackedDelivered = new Set<string>();
  private delivery: Promise<void> = Promise.resolve();

  constructor(readonly options: ClientOptions) {
    validateAppId(options.appId);
    this.keyFilePath = options.keyFile ?? defaultKeyFile(options.appId);
    this.socketPath = options.socketPath ?? defaultSocketPath();
    this.runtime = resolveRuntime(options.runtime);
  }

  /** A fresh instance id (FCM's installation id), stamped with when it was made. */
  private newInstance(): { instanceId: string; instanceCreatedAt: number } {
    return { instanceId: toBase64Url(this.runtime.random.bytes(8)), instanceCreatedAt: this.runtime.clock.now() };
  }

  get appId(): string {
    return this.options.appId;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private report(error: unknown): void {
    this.options.onError?.(toFosspushError(error));
  }

  keyFile(): Promise<AppKeyFile> {
    this.file ??= (async () => {
      const existing = await readKeyFile(this.keyFilePath, this.appId);
      if (existing) return existing;
      const created: AppKeyFile = {
        version: 1,
        appId: this.appId,
        ...this.newInstance(),
        registrations: {},
      };
      await writeKeyFile(this.keyFilePath, created);
      return created;
    })().catch((error: unknown) => {
      this.file = undefined;
      throw error;
    });
    return this.file;
  }

  private async saveKeyFile(update: (file: AppKeyFile) => void): Promise<AppKeyFile> {
    const file = await this.keyFile();
    update(file);
    await writeKeyFile(this.keyFilePath, file);
    return file;
  }

  private connection(): Promise<IpcClient> {
    if (this.closed) return Promise.reject(new FosspushError('CLOSED', 'this app session is closed'));
    this.ipc ??= connectIpc({ socketPath: this.socketPath, requestTimeoutMs: this.options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs })
      .then((ipc) => {
        this.wire(ipc);
        return ipc;
      })
      .catch((error: unknown) => {
        this.ipc = undefined;
        throw error;
      });
    return this.ipc;
  }

  private wire(ipc: IpcClient): void {
    ipc.on('message', (n) => {
      if (n.appId === this.appId) this.enqueue(n.message);
    });
    ipc.on('token', (n) => {
      if (n.appId === this.appId) void this.tokenChanged(n.registration).catch((e: unknown) => this.report(e));
    });
    ipc.on('unregistered', (n) => {
      if (n.appId !== this.appId) return;
      void this.saveKeyFile((file) => {
        delete file.registrations[n.instance];
      }).catch((e: unknown) => this.report(e));
    });
    ipc.on('deleted', (n) => {
      if (n.appId === this.appId) this.events.emit('deleted', n.count);
    });
    ipc.on('close', () => {
      this.ipc = undefined;
      const wasObserving = this.observing !== undefined;
      this.observing = undefined;
      if (wasObserving && !this.closed && this.listenerCount() > 0) void this.reconnect();
    });
  }

  /** The daemon went away while the app listens: keep trying, then resume from the store. */
  private async reconnect(): Promise<void> {
    let delayMs = 100;
    while (!this.closed && this.listenerCount() > 0) {
      await delay(delayMs, this.runtime.timers).done;
      try {
        await this.receive();
        return;
      } catch (error) {
        if (!isFosspushError(error, 'UNAVAILABLE') && !isFosspushError(error, 'CLOSED')) this.report(error);
        delayMs = Math.min(delayMs * 2, this.options.reconnectMaxDelayMs ?? CLIENT_DEFAULTS.reconnectMaxDelayMs);
      }
    }
  }

  private listenerCount(): number {
    return this.messageListeners.size + this.events.listenerCount('deleted') + this.events.listenerCount('token');
  }

  private async auth(): Promise<{ appId: string; credential: string } | undefined> {
    const { credential } = await this.keyFile();
    return credential === undefined ? undefined : { appId: this.appId, credential };
  }

  private async requireAuth(): Promise<{ appId: string; credential: string }> {
    const auth = await this.auth();
    if (!auth) throw new FosspushError('NOT_FOUND', `app ${this.appId} has not registered yet`);
    return auth;
  }

  /** Registers an instance, or returns its existing token. Keys are made here and never leave the app. */
  async register(request: RegisterRequest): Promise<RegistrationInfo> {
    validateInstanceName(request.instance);
    let file = await this.keyFile();
    if (!file.registrations[request.instance]) {
      const keys = await generateSubscriptionKeys();
      // Saved before the daemon hears of them: a crash afterwards must not leave a token whose keys are lost.
      file = await this.saveKeyFile((f) => {
        f.registrations[request.instance] = { keys };
      });
    }
    const stored = file.registrations[request.instance] as StoredRegistration;
    const ipc = await this.connection();
    const result = await ipc.call('register', {
      appId: this.appId,
      credential: file.credential,
      instance: request.instance,
      keys: { p256dh: stored.keys.p256dh, auth: stored.keys.auth },
      senderIds: request.senderIds ?? [],
      vapidPublicKey: request.vapidPublicKey,
      account: request.account,
    });
    const previousToken = stored.token;
    await this.saveKeyFile((f) => {
      if (result.credential !== undefined) f.credential = result.credential;
      f.registrations[request.instance] = { keys: stored.keys, registrationId: result.registration.registrationId, token: result.registration.token };
    });
    if (previousToken !== undefined && previousToken !== result.registration.token) {
      this.events.emit('token', { instance: request.instance, token: result.registration.token });
    }
    if (this.listenerCount() > 0) await this.receive();
    return result.registration;
  }

  async unregister(instance: string): Promise<boolean> {
    const auth = await this.auth();
    const file = await this.keyFile();
    if (!auth || !file.registrations[instance]) return false;
    const { removed } = await (await this.connection()).call('unregister', { ...auth, instance });
    await this.saveKeyFile((f) => {
      delete f.registrations[instance];
    });
    return removed;
  }

  async registrations(): Promise<RegistrationInfo[]> {
    const auth = await this.auth();
    if (!auth) return [];
    return (await (await this.connection()).call('registrations', auth)).registrations;
  }

  /** The stored registration of an instance, if the app registered it. */
  async stored(instance: string): Promise<StoredRegistration | undefined> {
    return (await this.keyFile()).registrations[instance];
  }

  async resetInstance(): Promise<void> {
    const file = await this.keyFile();
    for (const instance of Object.keys(file.registrations)) await this.unregister(instance);
    await this.saveKeyFile((f) => {
      Object.assign(f, this.newInstance());
      f.registrations = {};
    });
  }

  /** Adds a listener and starts receiving (first the messages the app missed). */
  on<E extends keyof SessionEvents>(event: E, listener: (value: SessionEvents[E]) => void): () => void {
    const off = this.events.on(event, listener);
    void this.observe().catch((error: unknown) => this.report(error));
    return off;
  }

  /**
   * Adds a message listener for the instances `filter` accepts. A message no listener takes
   * stays with the daemon, unacked, until one that takes it is added.
   */
  onMessage(listener: MessageListener, filter: InstanceFilter = () => true): () => void {
    this.messageListeners.set(listener, filter);
    void this.receive().catch((error: unknown) => this.report(error));
    return () => {
      this.messageListeners.delete(listener);
    };
  }

  /** Observes, then reads what the daemon holds for the app (what it missed, or what no listener took yet). */
  private async receive(): Promise<void> {
    await this.observe();
    const auth = await this.auth();
    if (!auth || !this.observing) return;
    while (this.unackedDelivered.size > 0) await this.flushAcks();
    const ipc = await this.connection();
    let afterSeq = 0;
    for (;;) {
      const page = await ipc.call('messages', { ...auth, afterSeq });
      for (const message of page.messages) this.enqueue(message);
      if (!page.more) break;
      afterSeq = page.cursor;
    }
  }

  /**
   * Starts notifications once per connection. Live messages and backlog pages (see `receive`)
   * go through one serial queue, and the in-flight set keeps one id from reaching listeners twice.
   */
  private async observe(): Promise<void> {
    if (!this.observing) {
      const auth = await this.auth();
      // Nothing to observe before the first registration; register() comes back here.
      if (!auth) return;
      this.observing ??= this.startObserving(auth);
    }
    return this.observing;
  }

  private startObserving(auth: { appId: string; credential: string }): Promise<void> {
    return (async () => {
      const ipc = await this.connection();
      await ipc.call('observe', auth);
      await this.syncTokens(await ipc.call('registrations', auth));
    })().catch((error: unknown) => {
      this.observing = undefined;
      throw error;
    });
  }

  /** A token that changed while the app was not running is reported when it starts. */
  private async syncTokens({ registrations }: { registrations: RegistrationInfo[] }): Promise<void> {
    for (const registration of registrations) await this.tokenChanged(registration);
  }

  private async tokenChanged(registration: RegistrationInfo): Promise<void> {
    const stored = (await this.keyFile()).registrations[registration.instance];
    if (!stored || stored.token === registration.token) return;
    await this.saveKeyFile((f) => {
      f.registrations[registration.instance] = { ...stored, registrationId: registration.registrationId, token: registration.token };
    });
    this.events.emit('token', { instance: registration.instance, token: registration.token });
  }

  private enqueue(message: IpcMessage): void {
    if (this.inFlight.has(message.id) || this.unackedDelivered.has(message.id)) return;
    this.inFlight.add(message.id);
    this.delivery = this.delivery.then(() => this.handle(message)).catch((error: unknown) => this.report(error));
  }

  private async handle(message: IpcMessage): Promise<void> {
    try {
      const instance = await this.instanceOf(message.registrationId);
      const listeners = [...this.messageListeners].filter(([, accepts]) => instance === undefined || accepts(instance)).map(([listener]) => listener);
      if (listeners.length === 0) return;
      const received = await this.decrypt(message);
      if (received) {
        // Listeners run one after another and are awaited: the ack below means "the app has it".
        for (const listener of listeners) {
          try {
            await listener(received);
          } catch (error) {
            this.report(error);
          }
        }
      }
      this.unackedDelivered.add(message.id);
      await this.flushAcks();
    } finally {
      this.inFlight.delete(message.id);
    }
  }

  /** Acks what the app has handled; ids stay pending while the daemon is unreachable. */
  private async flushAcks(): Promise<void> {
    const ids = [...this.unackedDelivered].slice(0, IPC_PAGE_LIMIT);
    if (ids.length === 0) return;
    const auth = await this.requireAuth();
    await (await this.connection()).call('ack', { ...auth, messageIds: ids });
    for (const id of ids) this.unackedDelivered.delete(id);
  }

  private async instanceOf(registrationId: string): Promise<string | undefined> {
    const file = await this.keyFile();
    return Object.entries(file.registrations).find(([, r]) => r.registrationId === registrationId)?.[0];
  }

  /** Undefined when the message can never be read (keys lost, forged, corrupted): it is reported and acked away. */
  private async decrypt(message: IpcMessage): Promise<ReceivedMessage | undefined> {
    const file = await this.keyFile();
    const entry = Object.entries(file.registrations).find(([, r]) => r.registrationId === message.registrationId);
    if (!entry) {
      this.report(new FosspushError('NOT_FOUND', `message ${message.id} is for registration ${message.registrationId}, whose keys this app does not hold`));
      return undefined;
    }
    const [instance, stored] = entry;
    const body = fromBase64Url(message.payload);
    let rawData: Uint8Array = new Uint8Array(0);
    if (body.length > 0) {
      try {
        // Node's own crypto, synchronous: WebCrypto queues about nine jobs on the thread pool per
        // message, each a trip through the event loop, which cost about 0.5 ms of latency here.
        rawData = await decryptWebPush(body, stored.keys, { crypto: nodeWebPushCrypto });
      } catch (error) {
        this.report(new FosspushError('DECRYPT_FAILED', `message ${message.id} could not be decrypted and was dropped`, { cause: error }));
        return undefined;
      }
    }
    const payload = decodePayload(rawData);
    // GCM's `from` is the sender id: the first authorized entity of the instance (`<senderIds>|<scope>`).
    const entity = instance.split('|')[0]?.split(',')[0] ?? '';
    const from = entity === '*' ? '' : entity;
    const received: ReceivedMessage = {
      messageId: message.id,
      instance,
      registrationId: message.registrationId,
      from,
      data: payload.data,
      rawData,
      sentAt: message.sentAt,
      ttlSeconds: message.ttlSeconds,
      urgency: message.urgency,
    };
    if (payload.notification) received.notification = payload.notification;
    const collapseKey = payload.collapseKey ?? message.topic;
    if (collapseKey !== undefined) received.collapseKey = collapseKey;
    return received;
  }

  /** Ends the connection; listeners stay registered but hear nothing more. */
  async close(): Promise<void> {
    this.closed = true;
    const ipc = this.ipc;
    this.ipc = undefined;
    await this.delivery;
    (await ipc?.catch(() => undefined))?.close();
  }
}
