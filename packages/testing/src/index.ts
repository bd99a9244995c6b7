/**
 * @module @fosspush/testing
 *
 * Shared test support: one conformance suite per plug-in interface, run against every driver.
 */
export { describeStoreConformance, type StoreHarness } from './store-conformance.js';
export { describeBrokerConformance } from './broker-conformance.js';
export { repoRoot, spawnSource } from './process.js';
export { type BenchCase, type BenchResult, benchTable, opsPerSecond, percentile, reportBench, timeChannelDeliveries } from './bench.js';
export { nginxTempPaths } from './nginx-paths.js';
export { freePort, type RedisRig, type StartRedisOptions, startRedis } from './redis-rig.js';
export {
  createTestDeviceHub,
  type DeviceWireHandlers,
  type DeviceWireRig,
  startDeviceWireRig,
  type TestDeviceHub,
} from './device-wire-rig.js';
export {
  type DeviceChannelHarness,
  type DeviceChannelTestOptions,
  type DeviceHandlerTestOptions,
  describeDeviceChannelConformance,
} from './device-channel-conformance.js';
export {
  MAIL_RIG_SERVERS,
  type MailRig,
  type MailRigControl,
  type MailRigInfo,
  type MailRigServer,
  type MailRigUser,
  mailRigControl,
  type StartMailRigOptions,
  startMailRig,
} from './mail-rig.js';
export { type IdleFloor, monotonicMs, startIdleFloor } from './idle-floor.js';
export { type ScriptedSmtp, startScriptedSmtp } from './scripted-smtp.js';
export { createFakeChannel, type FakeChannel } from './fake-channel.js';
export { publicKeys } from './public-keys.js';
export { type SeededRandom, seededRandom } from './seeded-random.js';
export { type DbusRig, startDbus } from './dbus-rig.js';
export { type IndependentConnector, type IndependentConnectorOptions, startIndependentConnector } from './unifiedpush-connector.js';
export { type DhtProxyNode, type DhtRig, type StartDhtRigOptions, startDhtRig } from './dht-rig.js';
export { connectProsodyComponent, type ProsodyRig, type ProsodyUser, type StartProsodyOptions, startProsody } from './prosody-rig.js';
export { advanceWithIo } from './manual-timers.js';
export { RFC8188_3_1, RFC8188_3_2, RFC8291, RFC8292 } from './webpush-vectors.js';
