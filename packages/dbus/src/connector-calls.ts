import { FosspushError } from '@fosspush/core';
import type { Bus } from './bus.js';
import { CONNECTOR_PATH, INTERFACES, isValidMessage, type SpecVersion } from './spec.js';
import { fromDictEntries, stringField, toDictEntries, type DictEntries, type VariantDict } from './variant-dict.js';

/** Which app to call, and which generation of the interface it registered with. */
export interface ConnectorTarget {
  /** The app's well-known bus name, the `service` it registered with. */
  service: string;
  version: SpecVersion;
}

/** What a distributor calls on a connector (org.unifiedpush.Connector1/2). */
export interface ConnectorCalls {
  newEndpoint(target: ConnectorTarget, token: string, endpoint: string): Promise<void>;
  /**
   * Hands a push message to the app. True when it is the app's: a v2 connector echoed `id`
   * (its acknowledgement); a v1 connector, which has no acknowledgement, was running (or was
   * started) when the call went out. False when the app could not be reached: keep the message.
   * A message outside 1..4096 bytes is refused with INVALID_MESSAGE (a connector must ignore it).
   */
  message(target: ConnectorTarget, token: string, message: Uint8Array, id: string): Promise<boolean>;
  unregistered(target: ConnectorTarget, token: string): Promise<void>;
}

/**
 * Calls to connectors. The v2 methods answer, and the spec says the distributor must not wait
 * on them: callers here get a promise and decide (the daemon never awaits one inside a bus
 * handler). The v1 methods are NoReply, sent with NO_REPLY_EXPECTED.
 */
export function createConnectorCalls(bus: Bus, callTimeoutMs: number): ConnectorCalls {
  const callV2 = async (service: string, member: string, args: VariantDict): Promise<Record<string, string | Uint8Array>> => {
    const [reply] = (await bus.call({
      destination: service,
      path: CONNECTOR_PATH,
      interface: INTERFACES.connector2,
      member,
      signature: 'a{sv}',
      body: [toDictEntries(args)],
      timeoutMs: callTimeoutMs,
    })) as [DictEntries | undefined];
    return fromDictEntries(reply ?? []);
  };
  const sendV1 = (service: string, member: string, signature: string, body: unknown[]) =>
    bus.send({ destination: service, path: CONNECTOR_PATH, interface: INTERFACES.connector1, member, signature, body });

  /** A NoReply call cannot fail visibly, so see first whether anyone (or activation) will take it. */
  async function reachable(service: string): Promise<boolean> {
    if ((await bus.getNameOwner(service)) !== undefined) return true;
    try {
      await bus.call({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'StartServiceByName',
        signature: 'su',
        body: [service, 0],
        timeoutMs: callTimeoutMs,
      });
      return true;
    } catch {
      return false;
    }
  }

  return {
    async newEndpoint(target, token, endpoint) {
      if (target.version === 1) sendV1(target.service, 'NewEndpoint', 'ss', [token, endpoint]);
      else await callV2(target.service, 'NewEndpoint', { token, endpoint });
    },

    async message(target, token, message, id) {
      if (!isValidMessage(message)) {
        throw new FosspushError('INVALID_MESSAGE', `a UnifiedPush message is 1 to 4096 bytes, this one has ${message.length}`);
      }
      if (target.version === 1) {
        if (!(await reachable(target.service))) return false;
        sendV1(target.service, 'Message', 'says', [token, message, id]);
        return true;
      }
      try {
        const reply = await callV2(target.service, 'Message', id === '' ? { token, message } : { token, message, id });
        return id === '' || stringField(reply, 'id') === id;
      } catch {
        // Not running and not activatable, or it failed: the message stays for a later try.
        return false;
      }
    },

    async unregistered(target, token) {
      if (target.version === 1) sendV1(target.service, 'Unregistered', 's', [token]);
      else await callV2(target.service, 'Unregistered', { token });
    },
  };
}
