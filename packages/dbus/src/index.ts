/**
 * @module @fosspush/dbus
 *
 * The UnifiedPush D-Bus wire (spec DBUS_0.3.0), both halves: the distributor side that
 * fosspushd serves (`org.unifiedpush.Distributor2` and the legacy `Distributor1`) and the
 * connector side an app serves (`org.unifiedpush.Connector2`/`Connector1`). The D-Bus library
 * sits behind the small `Bus` interface; `connectSessionBus` gives the default adapter.
 */
export { type Bus, BusCallError, BusReplyError, type CallRequest, type ConnectionCredentials, type ExportedInterface, type ExportedMethod, type RequestNameFlags, type RequestNameReply } from './bus.js';
export { connectSessionBus, type SessionBusOptions } from './native-bus.js';
export {
  createDistributor,
  DISTRIBUTOR_DEFAULTS,
  type Distributor,
  type DistributorBackend,
  type DistributorCaller,
  type DistributorOptions,
  type RegisterOutcome,
  type RegisterRequest,
} from './distributor.js';
export { type ConnectorCalls, type ConnectorTarget, createConnectorCalls } from './connector-calls.js';
export { type Connector, type ConnectorHandlers, type ConnectorOptions, createConnector, type RegisterOptions, type RegisterResult } from './connector.js';
export * from './spec.js';
export { type DictValue, type VariantDict, toDictEntries, fromDictEntries } from './variant-dict.js';
