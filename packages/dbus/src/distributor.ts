import { FosspushError, type Logger, silentLogger, withDefaults } from '@fosspush/core';
import { type Bus, BusReplyError, type ExportedInterface } from './bus.js';
import { type ConnectorCalls, type ConnectorTarget, createConnectorCalls } from './connector-calls.js';
import {
  DISTRIBUTOR_NAME_PREFIX,
  DISTRIBUTOR_PATH,
  INTERFACES,
  isValidDescription,
  isValidServiceName,
  isValidToken,
  isValidVapidKey,
  REGISTRATION_FAILED,
  REGISTRATION_SUCCEEDED,
  type RegistrationFailureReason,
  type SpecVersion,
} from './spec.js';
import { dictMethod, stringField, type VariantDict } from './variant-dict.js';

/** Who called, as the bus daemon (not the caller) says. */
export interface DistributorCaller {
  uniqueName: string;
  uid?: number;
  pid?: number;
}

export interface RegisterRequest {
  version: SpecVersion;
  service: string;
  token: string;
  description?: string;
  vapid?: string;
  /** Already checked: it owns `service` and runs as an allowed user. */
  caller: DistributorCaller;
}

/** A registration's endpoint, or why there is none. */
export type RegisterOutcome = { endpoint: string } | { failure: RegistrationFailureReason };

/** What the distributor asks of whoever keeps the registrations (fosspushd). */
export interface DistributorBackend {
  register(request: RegisterRequest): Promise<RegisterOutcome>;
  /** The app a token belongs to, so an Unregister can be checked against its caller. */
  findToken(token: string): Promise<ConnectorTarget | undefined>;
  unregister(token: string): Promise<void>;
}

export interface DistributorOptions {
  bus: Bus;
  backend: DistributorBackend;
  /** The part after `org.unifiedpush.Distributor.`. @default 'fosspush' */
  name?: string;
  /**
   * Callers must run as this user. A session bus normally admits only its own user, but a bus
   * can be configured otherwise, and a push endpoint is worth the check. @default process.getuid()
   */
  allowedUid?: number;
  /** How long a call to a connector may take (activation included). @default 25000 */
  callTimeoutMs?: number;
  /** @default no logging */
  logger?: Logger;
}

export const DISTRIBUTOR_DEFAULTS = {
  name: 'fosspush',
  callTimeoutMs: 25_000,
} as const satisfies Partial<DistributorOptions>;

export interface Distributor {
  /** `org.unifiedpush.Distributor.<name>` */
  readonly busName: string;
  /** Calls to connectors: NewEndpoint on endpoint changes, Message, Unregistered. */
  readonly connectors: ConnectorCalls;
  /**
   * Serves both interface generations and takes the bus name. Fails with UNAVAILABLE, saying
   * who holds it, when another process owns the name.
   */
  start(): Promise<void>;
  close(): Promise<void>;
}

const invalidArgs = (what: string) => new BusReplyError('org.freedesktop.DBus.Error.InvalidArgs', what);

/** v1 knows no UNAUTHORIZED; its nearest is the generic error. */
const v1Reason = (reason: RegistrationFailureReason) => (reason === 'UNAUTHORIZED' ? 'INTERNAL_ERROR' : reason);

/**
 * The distributor half of the UnifiedPush D-Bus wire: `org.unifiedpush.Distributor2` (a{sv})
 * and the legacy `org.unifiedpush.Distributor1` at `/org/unifiedpush/Distributor`.
 *
 * The spec does not say how a distributor knows that a caller is the app it names; we require
 * that the calling connection owns the `service` bus name at the time of the call (the bus
 * daemon's GetNameOwner answer, not anything the caller says), and that it runs as an allowed
 * user. A process that does not hold the name therefore cannot register, and one app cannot
 * unregister another's tokens.
 *
 * @example
 * const distributor = createDistributor({ bus: await connectSessionBus(), backend });
 * await distributor.start();
 */
export function createDistributor(options: DistributorOptions): Distributor {
  const settings = withDefaults(DISTRIBUTOR_DEFAULTS, options);
  const { bus, backend } = options;
  const logger = options.logger ?? silentLogger;
  const busName = `${DISTRIBUTOR_NAME_PREFIX}${settings.name}`;
  const allowedUid = options.allowedUid ?? process.getuid?.();
  const connectors = createConnectorCalls(bus, settings.callTimeoutMs);

  /** Undefined when the caller may act for `service`, else why not. */
  async function checkCaller(sender: string, service: string): Promise<DistributorCaller | undefined> {
    const [owner, credentials] = await Promise.all([bus.getNameOwner(service), bus.getConnectionCredentials(sender)]);
    if (owner !== sender) {
      logger.warn('unifiedpush_caller_refused', { service, sender, owner: owner ?? null, reason: 'the caller does not own the service name' });
      return undefined;
    }
    if (allowedUid !== undefined && credentials.uid !== allowedUid) {
      logger.warn('unifiedpush_caller_refused', { service, sender, uid: credentials.uid ?? null, reason: 'the caller runs as another user' });
      return undefined;
    }
    return { uniqueName: sender, ...credentials };
  }

  async function register(request: Omit<RegisterRequest, 'caller'>, sender: string): Promise<RegisterOutcome> {
    const caller = await checkCaller(sender, request.service);
    if (!caller) return { failure: 'UNAUTHORIZED' };
    let outcome: RegisterOutcome;
    try {
      outcome = await backend.register({ ...request, caller });
    } catch (error) {
      logger.error('unifiedpush_register_failed', { service: request.service, error });
      return { failure: 'INTERNAL_ERROR' };
    }
    if ('endpoint' in outcome) {
      // After the reply has gone out, so the connector hears of its endpoint after its answer.
      const target = { service: request.service, version: request.version };
      setImmediate(() => {
        connectors.newEndpoint(target, request.token, outcome.endpoint).catch((error: unknown) => {
          logger.warn('unifiedpush_new_endpoint_failed', { service: request.service, error });
        });
      });
    }
    return outcome;
  }

  async function unregister(token: string, sender: string): Promise<void> {
    const target = await backend.findToken(token);
    // Unknown and foreign tokens get the same silent answer: nothing tells a caller which
    // tokens exist.
    if (!target) return;
    if (!(await checkCaller(sender, target.service))) return;
    await backend.unregister(token);
    setImmediate(() => {
      connectors.unregistered(target, token).catch((error: unknown) => logger.warn('unifiedpush_unregistered_failed', { service: target.service, error }));
    });
  }

  const v2: ExportedInterface = {
    name: INTERFACES.distributor2,
    methods: {
      Register: dictMethod(async (args, sender): Promise<VariantDict> => {
        const service = stringField(args, 'service');
        const token = stringField(args, 'token');
        const description = stringField(args, 'description');
        const vapid = stringField(args, 'vapid');
        if (service === undefined || !isValidServiceName(service)) throw invalidArgs('service: a D-Bus well-known name is required');
        if (token === undefined || !isValidToken(token)) throw invalidArgs('token: 1 to 100 bytes are required');
        if (description !== undefined && !isValidDescription(description)) throw invalidArgs('description: at most 100 bytes');
        if (vapid !== undefined && !isValidVapidKey(vapid)) throw invalidArgs('vapid: a base64url uncompressed P-256 public key (87 characters)');
        const outcome = await register({ version: 2, service, token, description, vapid }, sender);
        return 'endpoint' in outcome ? { success: REGISTRATION_SUCCEEDED } : { success: REGISTRATION_FAILED, reason: outcome.failure };
      }),
      Unregister: dictMethod(async (args, sender) => {
        const token = stringField(args, 'token');
        if (token === undefined || !isValidToken(token)) throw invalidArgs('token: 1 to 100 bytes are required');
        await unregister(token, sender);
        return {};
      }),
    },
  };

  const v1: ExportedInterface = {
    name: INTERFACES.distributor1,
    methods: {
      Register: {
        in: 'sss',
        out: 'ss',
        inNames: ['serviceName', 'token', 'description'],
        outNames: ['registrationResult', 'registrationResultReason'],
        async handler([service, token, description], sender) {
          if (typeof service !== 'string' || !isValidServiceName(service)) throw invalidArgs('serviceName: a D-Bus well-known name is required');
          if (typeof token !== 'string' || !isValidToken(token)) throw invalidArgs('token: 1 to 100 bytes are required');
          const text = typeof description === 'string' && description !== '' && isValidDescription(description) ? { description } : {};
          const outcome = await register({ version: 1, service, token, ...text }, sender);
          return 'endpoint' in outcome ? [REGISTRATION_SUCCEEDED, ''] : [REGISTRATION_FAILED, v1Reason(outcome.failure)];
        },
      },
      Unregister: {
        in: 's',
        out: '',
        inNames: ['token'],
        async handler([token], sender) {
          if (typeof token === 'string' && isValidToken(token)) await unregister(token, sender);
          return [];
        },
      },
    },
  };

  return {
    busName,
    connectors,
    async start() {
      bus.exportInterface(DISTRIBUTOR_PATH, v2);
      bus.exportInterface(DISTRIBUTOR_PATH, v1);
      const reply = await bus.requestName(busName);
      if (reply === 'primary-owner' || reply === 'already-owner') return;
      const owner = await bus.getNameOwner(busName).catch(() => undefined);
      const who = owner === undefined ? '' : ` (owned by ${owner}${await describe(bus, owner)})`;
      throw new FosspushError('UNAVAILABLE', `cannot own the D-Bus name ${busName}: another process holds it${who}`, {
        details: { busName, owner },
      });
    },
    async close() {
      await bus.releaseName(busName).catch(() => {});
    },
  };
}

async function describe(bus: Bus, uniqueName: string): Promise<string> {
  const credentials = await bus.getConnectionCredentials(uniqueName).catch(() => ({ pid: undefined }));
  return credentials.pid === undefined ? '' : `, pid ${credentials.pid}`;
}
