import { FosspushError } from '@fosspush/core';
import type { Bus, ExportedInterface } from './bus.js';
import {
  CONNECTOR_PATH,
  DISTRIBUTOR_NAME_PREFIX,
  DISTRIBUTOR_PATH,
  INTERFACES,
  isValidEndpoint,
  isValidMessage,
  isValidToken,
  REGISTRATION_SUCCEEDED,
  type SpecVersion,
} from './spec.js';
import { bytesField, type DictEntries, dictMethod, fromDictEntries, stringField, toDictEntries, type VariantDict } from './variant-dict.js';

export interface ConnectorHandlers {
  onNewEndpoint(token: string, endpoint: string): void | Promise<void>;
  /**
   * The raw push body (RFC 8291 ciphertext for a Web Push sender). For a v2 distributor the
   * acknowledgement (the echoed id) goes back only after this resolves, so persist first.
   */
  onMessage(token: string, message: Uint8Array, id: string): void | Promise<void>;
  onUnregistered(token: string): void | Promise<void>;
}

export interface ConnectorOptions extends ConnectorHandlers {
  bus: Bus;
  /** The app's well-known bus name (its reverse-DNS app id). */
  service: string;
  /**
   * Calls with a token the app does not know are ignored (the spec). Pass the tokens the app
   * stored; by default, those registered through this connector since it started.
   */
  isKnownToken?: (token: string) => boolean;
}

export interface RegisterOptions {
  token: string;
  description?: string;
  /** The app server's VAPID public key (base64url, 87 characters); v2 only. */
  vapid?: string;
  /** @default the only distributor on the bus */
  distributor?: string;
  /** @default 2 */
  version?: SpecVersion;
}

export interface RegisterResult {
  success: boolean;
  reason?: string;
}

export interface Connector {
  /** Takes the service name and serves Connector1 and Connector2; fails if the name is held. */
  start(): Promise<void>;
  /** The distributors on the bus (names starting with `org.unifiedpush.Distributor.`). */
  distributors(): Promise<string[]>;
  register(options: RegisterOptions): Promise<RegisterResult>;
  unregister(token: string, options?: Pick<RegisterOptions, 'distributor' | 'version'>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The connector half of the UnifiedPush D-Bus wire, for a Node or Electron app that prefers
 * UnifiedPush to our IPC: it owns the app's bus name, exports org.unifiedpush.Connector2 (and
 * Connector1 for v1 distributors) at /org/unifiedpush/Connector, and registers with a
 * distributor.
 *
 * @example
 * const connector = createConnector({ bus, service: 'org.example.Chat', onNewEndpoint, onMessage, onUnregistered });
 * await connector.start();
 * await connector.register({ token: crypto.randomUUID() });
 */
export function createConnector(options: ConnectorOptions): Connector {
  const { bus, service } = options;
  const registered = new Set<string>();
  const known = options.isKnownToken ?? ((token: string) => registered.has(token));
  // Handlers run one at a time, in arrival order, so a NewEndpoint is never overtaken.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => T | Promise<T>): Promise<T> => {
    const next = queue.then(task);
    queue = next.catch(() => {});
    return next;
  };

  async function chooseDistributor(explicit: string | undefined): Promise<string> {
    if (explicit !== undefined) return explicit;
    const found = await listDistributors();
    if (found.length === 1) return found[0] as string;
    throw new FosspushError(
      found.length === 0 ? 'UNAVAILABLE' : 'INVALID_REQUEST',
      found.length === 0 ? 'no UnifiedPush distributor on the session bus' : `several UnifiedPush distributors on the bus, choose one: ${found.join(', ')}`,
    );
  }

  async function unregistered(token: string): Promise<void> {
    if (!known(token)) return;
    registered.delete(token);
    await serially(() => options.onUnregistered(token));
  }

  async function listDistributors(): Promise<string[]> {
    return (await bus.listNames()).filter((name) => name.startsWith(DISTRIBUTOR_NAME_PREFIX)).sort();
  }

  const v2: ExportedInterface = {
    name: INTERFACES.connector2,
    methods: {
      Message: dictMethod(async (args): Promise<VariantDict> => {
        const token = stringField(args, 'token');
        const message = bytesField(args, 'message');
        const id = stringField(args, 'id');
        if (token === undefined || !known(token) || message === undefined || !isValidMessage(message)) return {};
        await serially(() => options.onMessage(token, message, id ?? ''));
        // The echoed id is the acknowledgement: sent only once the app has handled the message.
        return id === undefined ? {} : { id };
      }),
      NewEndpoint: dictMethod(async (args) => {
        const token = stringField(args, 'token');
        const endpoint = stringField(args, 'endpoint');
        if (token !== undefined && known(token) && endpoint !== undefined && isValidEndpoint(endpoint)) {
          await serially(() => options.onNewEndpoint(token, endpoint));
        }
        return {};
      }),
      Unregistered: dictMethod(async (args) => {
        const token = stringField(args, 'token');
        if (token !== undefined) await unregistered(token);
        return {};
      }),
    },
  };

  const v1: ExportedInterface = {
    name: INTERFACES.connector1,
    methods: {
      Message: {
        in: 'says',
        out: '',
        inNames: ['token', 'message', 'messageIdentifier'],
        async handler([token, message, id]) {
          if (typeof token === 'string' && known(token) && message instanceof Uint8Array && isValidMessage(message)) {
            await serially(() => options.onMessage(token, message, typeof id === 'string' ? id : ''));
          }
          return [];
        },
      },
      NewEndpoint: {
        in: 'ss',
        out: '',
        inNames: ['token', 'endpoint'],
        async handler([token, endpoint]) {
          if (typeof token === 'string' && known(token) && typeof endpoint === 'string' && isValidEndpoint(endpoint)) {
            await serially(() => options.onNewEndpoint(token, endpoint));
          }
          return [];
        },
      },
      Unregistered: {
        in: 's',
        out: '',
        inNames: ['token'],
        async handler([token]) {
          if (typeof token === 'string') await unregistered(token);
          return [];
        },
      },
    },
  };

  return {
    async start() {
      bus.exportInterface(CONNECTOR_PATH, v2);
      bus.exportInterface(CONNECTOR_PATH, v1);
      const reply = await bus.requestName(service);
      if (reply !== 'primary-owner' && reply !== 'already-owner') {
        throw new FosspushError('UNAVAILABLE', `cannot own the D-Bus name ${service}: another process holds it`);
      }
    },

    distributors: listDistributors,

    async register(request) {
      if (!isValidToken(request.token)) throw new FosspushError('INVALID_REQUEST', 'a token is 1 to 100 bytes', { details: { field: 'token' } });
      const destination = await chooseDistributor(request.distributor);
      // Known before the call: the distributor sends NewEndpoint right after its answer.
      registered.add(request.token);
      let result: RegisterResult;
      if ((request.version ?? 2) === 1) {
        const [outcome, reason] = (await bus.call({
          destination,
          path: DISTRIBUTOR_PATH,
          interface: INTERFACES.distributor1,
          member: 'Register',
          signature: 'sss',
          body: [service, request.token, request.description ?? ''],
        })) as [string, string];
        result = outcome === REGISTRATION_SUCCEEDED ? { success: true } : { success: false, reason };
      } else {
        const args = {
          service,
          token: request.token,
          ...(request.description === undefined ? {} : { description: request.description }),
          ...(request.vapid === undefined ? {} : { vapid: request.vapid }),
        };
        const [reply] = (await bus.call({
          destination,
          path: DISTRIBUTOR_PATH,
          interface: INTERFACES.distributor2,
          member: 'Register',
          signature: 'a{sv}',
          body: [toDictEntries(args)],
        })) as [DictEntries];
        const res = fromDictEntries(reply);
        const reason = stringField(res, 'reason');
        result = stringField(res, 'success') === REGISTRATION_SUCCEEDED ? { success: true } : { success: false, reason };
      }
      if (!result.success) registered.delete(request.token);
      return result;
    },

    async unregister(token, target = {}) {
      const destination = await chooseDistributor(target.distributor);
      if ((target.version ?? 2) === 1) {
        bus.send({ destination, path: DISTRIBUTOR_PATH, interface: INTERFACES.distributor1, member: 'Unregister', signature: 's', body: [token] });
        return;
      }
      await bus.call({
        destination,
        path: DISTRIBUTOR_PATH,
        interface: INTERFACES.distributor2,
        member: 'Unregister',
        signature: 'a{sv}',
        body: [toDictEntries({ token })],
      });
    },

    async close() {
      await bus.releaseName(service).catch(() => {});
    },
  };
}
