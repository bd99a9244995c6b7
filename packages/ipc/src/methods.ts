import { parseWithSchema, record, type SchemaRefusal, type Urgency } from '@fosspush/core';
import * as v from 'valibot';

/**
 * The one method schema the daemon and the SDK share: every request's params and result type,
 * every notification, and the runtime check of params the daemon applies before a handler runs.
 * Each params type is its schema's output: the daemon trusts nothing a client sends, and a bad
 * field is an INVALID_REQUEST naming the field (`<field> must be ...`), never a crash.
 */
export const IPC_PROTOCOL_VERSION = 1;

/** A string of 1 to `maxLength` characters matching `pattern`; the message says what it must be. */
function text(rule: { pattern?: RegExp; maxLength: number; describe?: string }) {
  const message = `must be ${rule.describe ?? `a string of 1 to ${rule.maxLength} characters`}`;
  const length = v.pipe(v.string(message), v.minLength(1, message), v.maxLength(rule.maxLength, message));
  return rule.pattern === undefined ? length : v.pipe(length, v.regex(rule.pattern, message));
}

function integer(min: number, max: number) {
  const message = `must be an integer from ${min} to ${max}`;
  return v.pipe(v.number(message), v.safeInteger(message), v.minValue(min, message), v.maxValue(max, message));
}

/** An array of `min` to `max` items; absent (or null) reads as empty. */
function list<S extends v.GenericSchema<unknown, string>>(item: S, min: number, max: number) {
  const message = `must be an array of ${min} to ${max} strings`;
  return v.nullish(v.pipe(v.array(item, message), v.minLength(min, message), v.maxLength(max, message)), () => []);
}

const APP_ID = text({
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  maxLength: 200,
  describe: 'an application id: letters, digits, dot, dash and underscore, starting with a letter or digit (reverse DNS works)',
});
const INSTANCE = text({
  pattern: /^[A-Za-z0-9._:,*|@+-]+$/,
  maxLength: 256,
  describe: 'an instance name of 1 to 256 characters from A-Z a-z 0-9 . _ : , * | @ + -',
});
const CREDENTIAL = text({ pattern: /^[A-Za-z0-9_-]+$/, maxLength: 128, describe: 'the base64url credential the daemon issued' });
const KEY = text({ pattern: /^[A-Za-z0-9_-]+={0,2}$/, maxLength: 128, describe: 'a base64url key' });
const ACCOUNT = text({ pattern: /^[A-Za-z0-9._-]+$/, maxLength: 64, describe: 'an account id from the daemon configuration' });
const MESSAGE_ID = text({ pattern: /^[A-Za-z0-9_-]+$/, maxLength: 64, describe: 'a message id' });
const REGISTRATION_ID = text({ maxLength: 256, describe: 'a registration id' });
const SENDER_ID = text({ maxLength: 256 });

/** Most messages one `messages` call returns, and most ids one `ack` takes. */
export const IPC_PAGE_LIMIT = 500;
/**
 * Most payload bytes (base64url) one `messages` page carries; at least one message always
 * fits. 500 full-size messages would make a 2.7 MB frame: pages stay small instead, so a reply
 * never trips the daemon's slow-reader limit or the SDK's frame limit.
 */
export const IPC_PAGE_BYTES = 262_144;

const NOT_AN_OBJECT = 'must be an object';

const appAuth = {
  appId: APP_ID,
  credential: CREDENTIAL,
};
const appAuthParams = record(appAuth, NOT_AN_OBJECT);

/** Proves which app is calling: the secret the daemon issued on the app's first registration. */
export type AppAuth = v.InferInput<typeof appAuthParams>;

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

const registerParams = record(
  {
    appId: APP_ID,
    /** Absent on the app's first registration only: the daemon then issues one. */
    credential: v.optional(CREDENTIAL),
    instance: INSTANCE,
    /** An account id; absent means the daemon's default account. */
    account: v.optional(ACCOUNT),
    /** RFC 8292: accept only pushes signed with this VAPID public key. */
    vapidPublicKey: v.optional(KEY),
    /** The public half of the registration's RFC 8291 keys; the private key stays in the app. */
    keys: record({ p256dh: KEY, auth: KEY }, NOT_AN_OBJECT),
    senderIds: list(SENDER_ID, 0, 100),
  },
  NOT_AN_OBJECT,
);

/** What a client sends (the schema's input); the daemon's handler gets it checked. */
export type RegisterParams = v.InferInput<typeof registerParams>;

export interface RegisterResult {
  registration: RegistrationInfo;
  /** False when the instance was already registered: the same registration and token come back. */
  created: boolean;
  /** Only on the app's first registration: store it, every later call needs it. */
  credential?: string;
}

const unregisterParams = record({ ...appAuth, instance: INSTANCE }, NOT_AN_OBJECT);
export type UnregisterParams = v.InferInput<typeof unregisterParams>;

const messagesParams = record(
  {
    ...appAuth,
    /** Only messages with a greater seq. @default 0 */
    afterSeq: v.optional(integer(0, Number.MAX_SAFE_INTEGER)),
    registrationId: v.optional(REGISTRATION_ID),
    /** @default IPC_PAGE_LIMIT */
    limit: v.optional(integer(1, IPC_PAGE_LIMIT)),
  },
  NOT_AN_OBJECT,
);
export type MessagesParams = v.InferInput<typeof messagesParams>;

export interface MessagesResult {
  messages: IpcMessage[];
  /** The seq of the last message returned (or `afterSeq`): pass it back for the next page. */
  cursor: number;
  /** True when the page was cut short (by `limit` or by size): ask again from `cursor`. */
  more: boolean;
}

const ackParams = record({ ...appAuth, messageIds: list(MESSAGE_ID, 1, IPC_PAGE_LIMIT) }, NOT_AN_OBJECT);
export type AckParams = v.InferInput<typeof ackParams>;

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

/** No params, or an empty object: anything else in it is ignored, as for every method. */
const statusParams = v.pipe(
  v.nullish(record({}, NOT_AN_OBJECT), {}),
  v.transform((): Record<string, never> => ({})),
);

const IPC_PARAM_SCHEMAS = {
  register: registerParams,
  unregister: unregisterParams,
  registrations: appAuthParams,
  messages: messagesParams,
  ack: ackParams,
  observe: appAuthParams,
  status: statusParams,
} as const satisfies { readonly [M in IpcMethodName]: v.GenericSchema<unknown, IpcParams<M>> };

/** A method's params as the handler gets them: checked, defaults filled in (`senderIds: []`). */
export type IpcCheckedParams<M extends IpcMethodName> = v.InferOutput<(typeof IPC_PARAM_SCHEMAS)[M]>;

const PARAMS_REFUSAL: SchemaRefusal = { code: 'INVALID_REQUEST', field: 'key', root: 'params' };

/** The runtime check of each method's params: the daemon runs it before any handler. */
export const IPC_PARAM_VALIDATORS = Object.fromEntries(
  Object.entries(IPC_PARAM_SCHEMAS).map(([method, schema]) => [method, (params: unknown) => parseWithSchema(schema, params, PARAMS_REFUSAL)]),
) as { readonly [M in IpcMethodName]: (params: unknown) => IpcCheckedParams<M> };

export function isIpcMethod(name: string): name is IpcMethodName {
  return Object.hasOwn(IPC_PARAM_VALIDATORS, name);
}

/** Validates an instance name the same way the daemon will, so the SDK fails early and alike. */
export function validateInstanceName(instance: string): string {
  return parseWithSchema(INSTANCE, instance, { ...PARAMS_REFUSAL, root: 'instance' });
}

export function validateAppId(appId: string): string {
  return parseWithSchema(APP_ID, appId, { ...PARAMS_REFUSAL, root: 'appId' });
}
