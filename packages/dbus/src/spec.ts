/**
 * The names, keys and limits of the UnifiedPush D-Bus specification (DBUS_0.3.0), in one place.
 * Sources: UnifiedPush/specifications `specifications/dbus.md` and the introspection files
 * `specifications/dbus/org.unifiedpush.{Distributor,Connector}{1,2}.xml`.
 */

/** Every distributor owns a name with this prefix; connectors list the bus for it. */
export const DISTRIBUTOR_NAME_PREFIX = 'org.unifiedpush.Distributor.';
export const DISTRIBUTOR_PATH = '/org/unifiedpush/Distributor';
export const CONNECTOR_PATH = '/org/unifiedpush/Connector';

export const INTERFACES = {
  distributor1: 'org.unifiedpush.Distributor1',
  distributor2: 'org.unifiedpush.Distributor2',
  connector1: 'org.unifiedpush.Connector1',
  connector2: 'org.unifiedpush.Connector2',
} as const;

/** Which generation of the interfaces a connector spoke: v1 positional, v2 `a{sv}`. */
export type SpecVersion = 1 | 2;

export const REGISTRATION_SUCCEEDED = 'REGISTRATION_SUCCEEDED';
export const REGISTRATION_FAILED = 'REGISTRATION_FAILED';

/** The reasons a distributor may give with REGISTRATION_FAILED (v1 knows the first four). */
export type RegistrationFailureReason = 'INTERNAL_ERROR' | 'NETWORK' | 'ACTION_REQUIRED' | 'VAPID_REQUIRED' | 'UNAUTHORIZED';

export const SPEC_LIMITS = {
  tokenMaxBytes: 100,
  descriptionMaxBytes: 100,
  endpointMaxBytes: 1000,
  /** base64url of a 65-byte uncompressed P-256 point. */
  vapidLength: 87,
  messageMinBytes: 1,
  messageMaxBytes: 4096,
  /** The Android spec's bound on a message id; D-Bus says nothing, so we hold to it too. */
  messageIdMaxBytes: 100,
} as const;

const utf8Length = (value: string) => new TextEncoder().encode(value).length;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** D-Bus well-known names: dot-separated elements, at most 255 characters (D-Bus spec). */
const BUS_NAME = /^[A-Za-z_-][A-Za-z0-9_-]*(\.[A-Za-z_-][A-Za-z0-9_-]*)+$/;

export const isValidToken = (token: string) => token.length > 0 && utf8Length(token) <= SPEC_LIMITS.tokenMaxBytes;
export const isValidDescription = (description: string) => utf8Length(description) <= SPEC_LIMITS.descriptionMaxBytes;
export const isValidServiceName = (service: string) => service.length <= 255 && BUS_NAME.test(service) && !service.startsWith(':');
export const isValidVapidKey = (vapid: string) => vapid.length === SPEC_LIMITS.vapidLength && BASE64URL.test(vapid) && vapid.startsWith('B');
export const isValidMessageId = (id: string) => utf8Length(id) <= SPEC_LIMITS.messageIdMaxBytes;

export function isValidEndpoint(endpoint: string): boolean {
  if (utf8Length(endpoint) > SPEC_LIMITS.endpointMaxBytes) return false;
  try {
    const url = new URL(endpoint);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

export const isValidMessage = (message: Uint8Array) =>
  message.length >= SPEC_LIMITS.messageMinBytes && message.length <= SPEC_LIMITS.messageMaxBytes;
