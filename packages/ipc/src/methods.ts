import type { Urgency } from '@fosspush/core';
import {
  asObject,
  compact,
  type Fields,
  optionalInteger,
  optionalString,
  requireString,
  type StringRule,
  stringArray,
} from './fields.js';

/**
 * The one method schema the daemon and the SDK share: every request's params and result type,
 * every notification, and the runtime check of params the daemon applies before a handler runs.
 */
export const IPC_PROTOCOL_VERSION = 1;

const APP_ID: StringRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  maxLength: 200,
  describe: 'an application id: letters, digits, dot, dash and underscore, starting with a letter or digit (reverse DNS works)',
};
const INSTANCE: StringRule = {
  pattern: /^[A-Za-z0-9._:,*|@+-]+$/,
  maxLength: 256,
  describe: 'an instance name of 1 to 256 characters from A-Z a-z 0-9 . _ : , * | @ + -',
};
const CREDENTIAL: StringRule = { pattern: /^[A-Za-z0-9_-]+$/, maxLength: 128, describe: 'the base64url credential the daemon issued' };
const KEY: StringRule = { pattern: /^[A-Za-z0-9_-]+={0,2}$/, maxLength: 128, describe: 'a base64url key' };
const ACCOUNT: StringRule = {
  pattern: /^[A-Za-z0-9._-]+$/,
  maxLength: 64,
  describe: 'an account id from the daemon configuration',
};
const MESSAGE_ID: StringRule = { pattern: /^[A-Za-z0-9_-]+$/, maxLength: 64, describe: 'a message id' };
const REGISTRATION_ID: StringRule = { maxLength: 256, describe: 'a registration id' };
const SENDER_ID: StringRule = { maxLength: 256 };

/** Most messages one `messages` call returns, and most ids one `ack` takes. */
export const IPC_PAGE_LIMIT = 500;
/**
 * Most payload bytes (base64url) one `messages` page carries; at least one message always
 * fits. 500 full-size messages would make a 2.7 MB frame: pages stay small instead, so a reply
 * never trips the daemon's slow-reader limit or the SDK's frame limit.
 */
export const IPC_PAGE_BYTES = 262_144;

/** Proves which app is calling: the secret the daemon issued on the app's first registration. */
export interface AppAuth {
  appId: string;
  credential: string;
}

/** What a channel lets an app do besides receive. */
export interface ChannelCapabilities {
  /** Device-to-server messages (GCM `send`). */
  upstream: boolean;
  /** Topic subscriptions (GCM `GcmPubSub`). */
  topics: boolean;
}

export interface RegistrationInfo {
  registrationId: string;
  appId: string;
  instance: string;
  /** The daemon account the registration lives on. */
  account: string;
  /** The kind of channel behind the account (`websocket`, `sse`, `imap`...). */
  channelKind: string;
  /** The opaque token the app hands to its app server. */
  token: string;
  createdAt: number;
  vapidPublicKey?: string;
  senderIds: string[];
  capabilities: ChannelCapabilities;
}

/** A stored message as it crosses the socket: the payload stays RFC 8291 ciphertext. */
export interface IpcMessage {
  id: string;
  /** The daemon's queue position: a resume cursor. */
  seq: number;
  registrationId: string;
  /** base64url of the encrypted Web Push body. */
  payload: string;
  /** When the push service accepted the message, in milliseconds since the epoch. */
  sentAt: number;
  ttlSeconds: number;
  urgency: Urgency;
  topic?: string;
}

export interface RegisterParams {
  appId: string;
  /** Absent on the app's first registration only: the daemon then issues one. */
  credential?: string;
  instance: string;
  /** An account id; absent means the daemon's default account. */
  account?: string;
  /** RFC 8292: accept only pushes signed with this VAPID public key. */
  vapidPublicKey?: string;
  /** The public half of the registration's RFC 8291 keys; the private key stays in the app. */
  keys: { p256dh: string; auth: string };
  senderIds?: string[];
}

export interface RegisterResult {
  registration: RegistrationInfo;
  /** False when the instance was already registered: the same registration and token come back. */
  created: boolean;
  /** Only on the app's first registration: store it, every later call needs it. */
  credential?: string;
}

export interface UnregisterParams extends AppAuth {
  instance: string;
}

export interface MessagesParams extends AppAuth {
  /** Only messages with a greater seq. @default 0 */
  afterSeq?: number;
  registrationId?: string;
  /** @default IPC_PAGE_LIMIT */
  limit?: number;
}

export interface MessagesResult {
  messages: IpcMessage[];
  /** The seq of the last message returned (or `afterSeq`): pass it back for the next page. */
  cursor: number;
  /** True when the page was cut short (by `limit` or by size): ask again from `cursor`. */
  more: boolean;
}

export interface AckParams extends AppAuth {
  messageIds: string[];
}

export interface AccountStatus {
  id: string;
  kind: string;
  target: string;
  state: string;
  registrations: number;
  lastError?: string;
}

export interface RegistrationStatus {
  registrationId: string;
  appId: string;
  instance: string;
  account: string;
  createdAt: number;
  queued: number;
  /** Set for an app registered over the UnifiedPush D-Bus interface (its appId is the bus name). */
  via?: 'unifiedpush';
}

export interface StatusResult {
  protocol: number;
  version: string;
  pid: number;
  startedAt: number;
  socketPath: string;
  accounts: AccountStatus[];
  registrations: RegistrationStatus[];
}

/** Every request: params in, result out. */
export interface IpcMethods {
  register: { params: RegisterParams; result: RegisterResult };
  unregister: { params: UnregisterParams; result: { removed: boolean } };
  registrations: { params: AppAuth; result: { registrations: RegistrationInfo[] } };
  messages: { params: MessagesParams; result: MessagesResult };
  ack: { params: AckParams; result: { acked: number } };
  /** Starts `message`, `token`, `unregistered` and `deleted` notifications for the app on this connection. */
  observe: { params: AppAuth; result: { observing: true } };
  status: { params: Record<string, never>; result: StatusResult };
}

/** Every notification the daemon sends (JSON-RPC requests without an id). */
export interface IpcNotifications {
  message: { appId: string; message: IpcMessage };
  /** A registration's token changed (new keys, or the channel moved the endpoint). */
  token: { appId: string; registration: RegistrationInfo };
  unregistered: { appId: string; registrationId: string; instance: string };
  /** The daemon dropped this many queued messages the app never read (its queue was full). */
  deleted: { appId: string; count: number };
}

export type IpcMethodName = keyof IpcMethods;
export type IpcNotificationName = keyof IpcNotifications;
export type IpcParams<M extends IpcMethodName> = IpcMethods[M]['params'];
export type IpcResult<M extends IpcMethodName> = IpcMethods[M]['result'];

function appAuth(fields: Fields): AppAuth {
  return { appId: requireString(fields, 'appId', APP_ID), credential: requireString(fields, 'credential', CREDENTIAL) };
}

function keys(value: unknown): RegisterParams['keys'] {
  const fields = asObject(value, 'keys');
  return { p256dh: requireString(fields, 'p256dh', KEY), auth: requireString(fields, 'auth', KEY) };
}

/** The runtime check of each method's params: the daemon runs it before any handler. */
export const IPC_PARAM_VALIDATORS: { readonly [M in IpcMethodName]: (params: unknown) => IpcParams<M> } = {
  register(params) {
    const fields = asObject(params);
    return compact({
      appId: requireString(fields, 'appId', APP_ID),
      credential: optionalString(fields, 'credential', CREDENTIAL),
      instance: requireString(fields, 'instance', INSTANCE),
      account: optionalString(fields, 'account', ACCOUNT),
      vapidPublicKey: optionalString(fields, 'vapidPublicKey', KEY),
      keys: keys(fields['keys']),
      senderIds: stringArray(fields, 'senderIds', { ...SENDER_ID, maxItems: 100 }),
    });
  },
  unregister(params) {
    const fields = asObject(params);
    return { ...appAuth(fields), instance: requireString(fields, 'instance', INSTANCE) };
  },
  registrations: (params) => appAuth(asObject(params)),
  messages(params) {
    const fields = asObject(params);
    return compact({
      ...appAuth(fields),
      afterSeq: optionalInteger(fields, 'afterSeq', 0, Number.MAX_SAFE_INTEGER),
      registrationId: optionalString(fields, 'registrationId', REGISTRATION_ID),
      limit: optionalInteger(fields, 'limit', 1, IPC_PAGE_LIMIT),
    });
  },
  ack(params) {
    const fields = asObject(params);
    return { ...appAuth(fields), messageIds: stringArray(fields, 'messageIds', { ...MESSAGE_ID, minItems: 1, maxItems: IPC_PAGE_LIMIT }) };
  },
  observe: (params) => appAuth(asObject(params)),
  status(params) {
    asObject(params ?? {});
    return {};
  },
};

export function isIpcMethod(name: string): name is IpcMethodName {
  return Object.hasOwn(IPC_PARAM_VALIDATORS, name);
}

/** Validates an instance name the same way the daemon will, so the SDK fails early and alike. */
export function validateInstanceName(instance: string): string {
  return requireString({ instance }, 'instance', INSTANCE);
}

export function validateAppId(appId: string): string {
  return requireString({ appId }, 'appId', APP_ID);
}
