import type { DictEntries } from './variant-dict.js';

/**
 * The small surface of a D-Bus connection this package needs. The UnifiedPush logic is written
 * against it, not against a D-Bus library, so the library underneath (today
 * @homebridge/dbus-native, see native-bus.ts) can be swapped by writing one adapter.
 *
 * Values cross this interface in one shape whatever the library: strings, numbers, `Uint8Array`
 * for `ay`, and `a{sv}` as `DictEntries` (`[key, { signature, value }]` pairs).
 */
export interface Bus {
  /** This connection's unique name (`:1.42`). */
  readonly uniqueName: string;
  /** Serves `iface` at `path`; each handler gets the call's arguments and the caller's unique name. */
  exportInterface(path: string, iface: ExportedInterface): void;
  requestName(name: string, flags?: RequestNameFlags): Promise<RequestNameReply>;
  releaseName(name: string): Promise<void>;
  /** Calls a method and waits for its reply (or its D-Bus error, as a `BusCallError`). */
  call(request: CallRequest): Promise<unknown[]>;
  /** Sends a method call flagged NO_REPLY_EXPECTED (the v1 interfaces' `NoReply` annotation). */
  send(request: CallRequest): void;
  /** The unique name that owns `name`, or undefined when nobody does. */
  getNameOwner(name: string): Promise<string | undefined>;
  listNames(): Promise<string[]>;
  /** The bus daemon's view of a connection (org.freedesktop.DBus.GetConnectionCredentials). */
  getConnectionCredentials(uniqueName: string): Promise<ConnectionCredentials>;
  /** NameOwnerChanged from the bus daemon; an empty owner means "none". Returns an unsubscribe. */
  onNameOwnerChanged(listener: (name: string, oldOwner: string, newOwner: string) => void): () => void;
  /** Called once if the connection to the bus is lost. */
  onClose(listener: (error?: Error) => void): void;
  close(): Promise<void>;
}

export interface ExportedMethod {
  /** Input signature, e.g. `a{sv}` or `sss`. */
  in: string;
  /** Output signature; empty for none. */
  out: string;
  /** Argument names for introspection, as the spec's XML files give them. */
  inNames?: readonly string[];
  outNames?: readonly string[];
  /** Returns the out arguments in order (an empty array for none). */
  handler(args: unknown[], sender: string): unknown[] | Promise<unknown[]>;
}

export interface ExportedInterface {
  name: string;
  methods: Readonly<Record<string, ExportedMethod>>;
}

export interface CallRequest {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  /** @default 25000 */
  timeoutMs?: number;
}

export interface RequestNameFlags {
  /** DBUS_NAME_FLAG_ALLOW_REPLACEMENT. @default false */
  allowReplacement?: boolean;
  /** DBUS_NAME_FLAG_REPLACE_EXISTING. @default false */
  replaceExisting?: boolean;
  /** Without DBUS_NAME_FLAG_DO_NOT_QUEUE: wait in line for the name. @default false */
  queue?: boolean;
}

export type RequestNameReply = 'primary-owner' | 'in-queue' | 'exists' | 'already-owner';

export interface ConnectionCredentials {
  uid?: number;
  pid?: number;
}

/** A D-Bus error reply: `name` is the D-Bus error name (`org.freedesktop.DBus.Error.ServiceUnknown`). */
export class BusCallError extends Error {
  override readonly name = 'BusCallError';
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(`${dbusName}: ${message}`);
  }
}

/** Raised by an exported handler to answer with a specific D-Bus error. */
export class BusReplyError extends Error {
  override readonly name = 'BusReplyError';
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(message);
  }
}

export type { DictEntries };
