import { createRequire } from 'node:module';
import { FosspushError } from '@fosspush/core';
import {
  type Bus,
  BusCallError,
  type CallRequest,
  type ConnectionCredentials,
  type ExportedInterface,
  type RequestNameFlags,
  type RequestNameReply,
} from './bus.js';
import type { DictEntries, Variant } from './variant-dict.js';

/**
 * The Bus adapter over @homebridge/dbus-native (pure JavaScript, maintained by the Homebridge
 * project; dbus-next, the other pure-JS choice, has had no release since 2021). Everything
 * library-specific lives in this file: its value shapes (variants as `[signature, value]`
 * pairs on the way out, `[signatureTree, [value]]` on the way in, `ay` as Buffer), its
 * callback API and its reply-routing table.
 */

interface NativeMessage {
  serial?: number;
  sender?: string;
  body?: unknown[];
  [key: string]: unknown;
}
interface NativeError {
  name?: string;
  message?: string;
}
type NativeCallback = (error: NativeError | null | undefined, ...values: unknown[]) => void;
interface NativeBus {
  name?: string;
  helloError?: Error;
  cookies: Record<number, unknown>;
  signals: { on(key: string, listener: (body: unknown[]) => void): void; off(key: string, listener: (body: unknown[]) => void): void };
  connection: { on(event: string, listener: (error?: Error) => void): void; end(): void };
  invoke(message: NativeMessage, callback?: NativeCallback): void;
  invokeDbus(message: NativeMessage, callback?: NativeCallback): void;
  exportInterface(object: object, path: string, description: unknown): void;
  mangle(path: string, iface: string, member: string): string;
}
interface NativeModule {
  createClient(options: { busAddress: string }): NativeBus;
}

const require = createRequire(import.meta.url);
const NO_REPLY_EXPECTED = 0x1;
const DEFAULT_TIMEOUT_MS = 25_000;
const REQUEST_NAME_REPLIES: Record<number, RequestNameReply> = { 1: 'primary-owner', 2: 'in-queue', 3: 'exists', 4: 'already-owner' };

export interface SessionBusOptions {
  /** @default process.env.DBUS_SESSION_BUS_ADDRESS */
  address?: string;
  /** How long to wait for the bus daemon to accept us. @default 5000 */
  connectTimeoutMs?: number;
}

/** Splits a signature into its top-level complete types (`sa{sv}ay` -> `s`, `a{sv}`, `ay`). */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  let i = 0;
  const completeType = (): string => {
    const start = i;
    const head = signature[i++];
    if (head === 'a') completeType();
    else if (head === '(' || head === '{') {
      const close = head === '(' ? ')' : '}';
      while (signature[i] !== close) {
        if (i >= signature.length) throw new FosspushError('INVALID_REQUEST', `unbalanced D-Bus signature ${signature}`);
        completeType();
      }
      i++;
    }
    return signature.slice(start, i);
  };
  while (i < signature.length) types.push(completeType());
  return types;
}

function toNative(type: string, value: unknown): unknown {
  if (type === 'ay') return Buffer.from(value as Uint8Array);
  if (type === 'a{sv}') {
    return (value as DictEntries).map(([key, variant]) => [key, [variant.signature, toNative(variant.signature, variant.value)]]);
  }
  return value;
}

interface SignatureTree {
  type: string;
  child: SignatureTree[];
}
const treeToSignature = (tree: SignatureTree): string =>
  tree.type === 'a' ? `a${treeToSignature(tree.child[0] as SignatureTree)}` : tree.type === '{' || tree.type === '(' ? `${tree.type}${tree.child.map(treeToSignature).join('')}${tree.type === '{' ? '}' : ')'}` : tree.type;

function fromNative(type: string, value: unknown): unknown {
  if (type === 'ay') return value instanceof Uint8Array ? new Uint8Array(value) : Uint8Array.from(value as number[]);
  if (type === 'a{sv}') {
    return (value as [string, [SignatureTree[], unknown[]]][]).map(([key, [tree, values]]): [string, Variant] => {
      const signature = treeToSignature(tree[0] as SignatureTree);
      return [key, { signature, value: fromNative(signature, values[0]) }];
    });
  }
  return value;
}

const convertArgs = (signature: string, values: readonly unknown[], convert: (type: string, value: unknown) => unknown) =>
  splitSignature(signature).map((type, i) => convert(type, values[i]));

function busError(error: NativeError): BusCallError {
  return new BusCallError(error.name ?? 'org.freedesktop.DBus.Error.Failed', error.message ?? '');
}

class NativeBusAdapter implements Bus {
  private closed = false;
  private readonly closeListeners: ((error?: Error) => void)[] = [];

  constructor(
    private readonly native: NativeBus,
    readonly uniqueName: string,
  ) {
    const lost = (error?: Error) => {
      if (this.closed) return;
      this.closed = true;
      for (const listener of this.closeListeners) listener(error);
    };
    native.connection.on('end', () => lost());
    native.connection.on('error', (error) => lost(error));
  }

  exportInterface(path: string, iface: ExportedInterface): void {
    const implementation: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
    const description: Record<string, unknown[]> = {};
    for (const [member, method] of Object.entries(iface.methods)) {
      const outTypes = splitSignature(method.out);
      description[member] = [method.in, method.out, method.inNames ?? [], method.outNames ?? []];
      implementation[member] = async (...received: unknown[]) => {
        // dbus-native appends the message itself after the arguments.
        const message = received.pop() as NativeMessage;
        const outs = await method.handler(convertArgs(method.in, received, fromNative), message.sender ?? '');
        const native = convertArgs(method.out, outs, toNative);
        // dbus-native wraps a single out value itself, and sends no body for none.
        return outTypes.length === 0 ? undefined : outTypes.length === 1 ? native[0] : native;
      };
    }
    this.native.exportInterface(implementation, path, { name: iface.name, methods: description, signals: {}, properties: {} });
  }

  private invokeDbus<T>(member: string, signature: string, body: unknown[]): Promise<T> {
    return this.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member, signature, body }).then(
      (values) => values[0] as T,
    );
  }

  async requestName(name: string, flags: RequestNameFlags = {}): Promise<RequestNameReply> {
    const bits = (flags.allowReplacement ? 0x1 : 0) | (flags.replaceExisting ? 0x2 : 0) | (flags.queue ? 0 : 0x4);
    const reply = await this.invokeDbus<number>('RequestName', 'su', [name, bits]);
    const known = REQUEST_NAME_REPLIES[reply];
    if (!known) throw new FosspushError('PROTOCOL_ERROR', `RequestName answered ${reply}`);
    return known;
  }

  async releaseName(name: string): Promise<void> {
    await this.invokeDbus('ReleaseName', 's', [name]);
  }

  call(request: CallRequest): Promise<unknown[]> {
    if (this.closed) return Promise.reject(new FosspushError('CLOSED', 'the D-Bus connection is closed'));
    const signature = request.signature ?? '';
    const message: NativeMessage = {
      destination: request.destination,
      path: request.path,
      interface: request.interface,
      member: request.member,
      ...(signature === '' ? {} : { signature, body: convertArgs(signature, request.body ?? [], toNative) }),
    };
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (message.serial !== undefined) delete this.native.cookies[message.serial];
        reject(new BusCallError('org.freedesktop.DBus.Error.NoReply', `no reply to ${request.interface}.${request.member} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.native.invoke(message, function (this: { signature?: string }, error, ...values) {
        clearTimeout(timer);
        if (error) reject(busError(error));
        else resolve(this.signature ? convertArgs(this.signature, values, fromNative) : []);
      });
    });
  }

  send(request: CallRequest): void {
    if (this.closed) return;
    const signature = request.signature ?? '';
    this.native.invoke({
      destination: request.destination,
      path: request.path,
      interface: request.interface,
      member: request.member,
      flags: NO_REPLY_EXPECTED,
      ...(signature === '' ? {} : { signature, body: convertArgs(signature, request.body ?? [], toNative) }),
    });
  }

  async getNameOwner(name: string): Promise<string | undefined> {
    try {
      return await this.invokeDbus<string>('GetNameOwner', 's', [name]);
    } catch (error) {
      if (error instanceof BusCallError && error.dbusName === 'org.freedesktop.DBus.Error.NameHasNoOwner') return undefined;
      throw error;
    }
  }

  listNames(): Promise<string[]> {
    return this.invokeDbus<string[]>('ListNames', '', []);
  }

  async getConnectionCredentials(uniqueName: string): Promise<ConnectionCredentials> {
    const [entries] = (await this.call({
      destination: 'org.freedesktop.DBus',
      path: '/org/freedesktop/DBus',
      interface: 'org.freedesktop.DBus',
      member: 'GetConnectionCredentials',
      signature: 's',
      body: [uniqueName],
    })) as [DictEntries];
    const credentials: ConnectionCredentials = {};
    for (const [key, variant] of entries) {
      if (key === 'UnixUserID' && typeof variant.value === 'number') credentials.uid = variant.value;
      if (key === 'ProcessID' && typeof variant.value === 'number') credentials.pid = variant.value;
    }
    return credentials;
  }

  onNameOwnerChanged(listener: (name: string, oldOwner: string, newOwner: string) => void): () => void {
    const key = this.native.mangle('/org/freedesktop/DBus', 'org.freedesktop.DBus', 'NameOwnerChanged');
    const onSignal = (body: unknown[]) => listener(body[0] as string, body[1] as string, body[2] as string);
    this.native.signals.on(key, onSignal);
    return () => this.native.signals.off(key, onSignal);
  }

  onClose(listener: (error?: Error) => void): void {
    this.closeListeners.push(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.native.connection.end();
  }
}

/**
 * Connects to the session bus (or the bus at `address`) and waits until the bus daemon has
 * given us a unique name.
 *
 * @example
 * const bus = await connectSessionBus();
 * console.log(bus.uniqueName); // ":1.42"
 */
export async function connectSessionBus(options: SessionBusOptions = {}): Promise<Bus> {
  const address = options.address ?? process.env['DBUS_SESSION_BUS_ADDRESS'];
  if (!address) throw new FosspushError('UNAVAILABLE', 'no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set');
  const { createClient } = require('@homebridge/dbus-native') as NativeModule;
  let native: NativeBus;
  try {
    native = createClient({ busAddress: address });
  } catch (cause) {
    throw new FosspushError('UNAVAILABLE', `cannot reach the D-Bus session bus at ${address}`, { cause });
  }
  const timeoutMs = options.connectTimeoutMs ?? 5000;
  const uniqueName = await new Promise<string>((resolve, reject) => {
    const fail = (cause?: unknown) => {
      clearTimeout(timer);
      reject(new FosspushError('UNAVAILABLE', `cannot reach the D-Bus session bus at ${address}`, { cause }));
    };
    const timer = setTimeout(() => {
      native.connection.end();
      fail(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    native.connection.on('error', fail);
    // Replies arrive in order, so once GetId answers, Hello has too and the name is set.
    native.invokeDbus({ member: 'GetId' }, (error) => {
      clearTimeout(timer);
      if (error || native.helloError || !native.name) fail(native.helloError ?? (error ? busError(error) : undefined));
      else resolve(native.name);
    });
  });
  const bus = new NativeBusAdapter(native, uniqueName);
  // NameOwnerChanged reaches only connections that asked for it.
  await bus.call({
    destination: 'org.freedesktop.DBus',
    path: '/org/freedesktop/DBus',
    interface: 'org.freedesktop.DBus',
    member: 'AddMatch',
    signature: 's',
    body: ["type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"],
  });
  return bus;
}
