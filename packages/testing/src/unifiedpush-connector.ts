import { createRequire } from 'node:module';

/**
 * A UnifiedPush connector written on dbus-next, a D-Bus library independent of the one
 * @fosspush/dbus uses, and with none of our code: what the tests use as "an app we did not
 * write". It owns its bus name, serves Connector1 or Connector2, and records what it gets.
 */
export interface IndependentConnector {
  readonly service: string;
  readonly uniqueName: string;
  readonly endpoints: Map<string, string>;
  readonly messages: { token: string; message: Uint8Array; id: string }[];
  readonly unregistered: string[];
  /** When false, v2 Message calls are answered without the id: nothing is acknowledged. */
  acknowledge: boolean;
  register(token: string, extra?: { description?: string; vapid?: string; service?: string }): Promise<{ success: string; reason?: string }>;
  unregister(token: string): Promise<void>;
  close(): void;
}

export interface IndependentConnectorOptions {
  address: string;
  service: string;
  version: 1 | 2;
  /** @default 'org.unifiedpush.Distributor.fosspush' */
  distributor?: string;
  /** Take the bus name; false makes a caller that only claims to be `service`. @default true */
  ownName?: boolean;
}

interface DbusNext {
  sessionBus(options: { busAddress: string }): DbusNextBus;
  Variant: new (signature: string, value: unknown) => { signature: string; value: unknown };
  interface: { Interface: DbusNextInterfaceClass };
}
interface DbusNextBus {
  name: string | null;
  requestName(name: string, flags: number): Promise<number>;
  export(path: string, iface: object): void;
  getProxyObject(name: string, path: string): Promise<{ getInterface(name: string): Record<string, (...args: unknown[]) => Promise<unknown>> }>;
  disconnect(): void;
  send(message: unknown): void;
}
type DbusNextInterfaceClass = (new (name: string) => object) & {
  configureMembers(members: { methods: Record<string, { inSignature: string; outSignature: string; noReply?: boolean }> }): void;
};

const require = createRequire(import.meta.url);

export async function startIndependentConnector(options: IndependentConnectorOptions): Promise<IndependentConnector> {
  const dbus = require('dbus-next') as DbusNext;
  const { Variant } = dbus;
  const bus = dbus.sessionBus({ busAddress: options.address });
  // dbus-next throws from its socket handler when it answers a call that was already on the
  // way when the connection closed: after close, nothing is sent.
  let closed = false;
  const send = bus.send.bind(bus);
  bus.send = (message: unknown) => {
    if (!closed) send(message);
  };
  const distributor = options.distributor ?? 'org.unifiedpush.Distributor.fosspush';
  const endpoints = new Map<string, string>();
  const messages: IndependentConnector['messages'] = [];
  const unregistered: string[] = [];
  const state = { acknowledge: true };
  const text = (dict: Record<string, { value: unknown }>, key: string) => dict[key]?.value as string | undefined;

  const Base = dbus.interface.Interface;
  let iface: object;
  if (options.version === 2) {
    class Connector2 extends Base {
      Message(args: Record<string, { value: unknown }>) {
        const id = text(args, 'id');
        messages.push({ token: text(args, 'token') ?? '', message: new Uint8Array(args['message']?.value as Buffer), id: id ?? '' });
        return state.acknowledge && id !== undefined ? { id: new Variant('s', id) } : {};
      }
      NewEndpoint(args: Record<string, { value: unknown }>) {
        endpoints.set(text(args, 'token') ?? '', text(args, 'endpoint') ?? '');
        return {};
      }
      Unregistered(args: Record<string, { value: unknown }>) {
        unregistered.push(text(args, 'token') ?? '');
        return {};
      }
    }
    // One object per method: dbus-next writes each method's name into its options.
    const dict = () => ({ inSignature: 'a{sv}', outSignature: 'a{sv}' });
    Connector2.configureMembers({ methods: { Message: dict(), NewEndpoint: dict(), Unregistered: dict() } });
    iface = new Connector2('org.unifiedpush.Connector2');
  } else {
    class Connector1 extends Base {
      Message(token: string, message: Buffer, id: string) {
        messages.push({ token, message: new Uint8Array(message), id });
      }
      NewEndpoint(token: string, endpoint: string) {
        endpoints.set(token, endpoint);
      }
      Unregistered(token: string) {
        unregistered.push(token);
      }
    }
    Connector1.configureMembers({
      methods: {
        Message: { inSignature: 'says', outSignature: '', noReply: true },
        NewEndpoint: { inSignature: 'ss', outSignature: '', noReply: true },
        Unregistered: { inSignature: 's', outSignature: '', noReply: true },
      },
    });
    iface = new Connector1('org.unifiedpush.Connector1');
  }
  bus.export('/org/unifiedpush/Connector', iface);
  // DBUS_NAME_FLAG_DO_NOT_QUEUE: 1 = primary owner.
  if (options.ownName !== false && (await bus.requestName(options.service, 4)) !== 1) throw new Error(`cannot own ${options.service}`);
  let remoteInterface: Record<string, (...args: unknown[]) => Promise<unknown>> | undefined;
  const remoteMethod = async (member: string) => {
    if (!remoteInterface) {
      const proxy = await bus.getProxyObject(distributor, '/org/unifiedpush/Distributor');
      remoteInterface = proxy.getInterface(options.version === 2 ? 'org.unifiedpush.Distributor2' : 'org.unifiedpush.Distributor1');
    }
    return remoteInterface[member] as (...args: unknown[]) => Promise<unknown>;
  };

  return {
    service: options.service,
    uniqueName: bus.name ?? '',
    endpoints,
    messages,
    unregistered,
    get acknowledge() {
      return state.acknowledge;
    },
    set acknowledge(value: boolean) {
      state.acknowledge = value;
    },
    async register(token, extra = {}) {
      const service = extra.service ?? options.service;
      if (options.version === 1) {
        const [success, reason] = (await (await remoteMethod('Register'))(service, token, extra.description ?? '')) as [string, string];
        return reason ? { success, reason } : { success };
      }
      const args: Record<string, unknown> = { service: new Variant('s', service), token: new Variant('s', token) };
      if (extra.description !== undefined) args['description'] = new Variant('s', extra.description);
      if (extra.vapid !== undefined) args['vapid'] = new Variant('s', extra.vapid);
      const res = (await (await remoteMethod('Register'))(args)) as Record<string, { value: string }>;
      const reason = res['reason']?.value;
      return { success: res['success']?.value ?? '', reason };
    },
    async unregister(token) {
      const unregister = await remoteMethod('Unregister');
      if (options.version === 1) await unregister(token);
      else await unregister({ token: new Variant('s', token) });
    },
    close() {
      closed = true;
      bus.disconnect();
    },
  };
}
