/**
 * @module @fosspush/server
 *
 * The fosspush push service: RFC 8030/8291/8292 Web Push for app servers, one stream per
 * device (WebSocket or SSE), store-and-forward in SQLite, memory or Redis.
 */
export { createPushServer, type PushServer } from './push-server.js';
export { PUSH_SERVER_DEFAULTS, type PushServerOptions, type StorageOptions } from './options.js';
export { createDeviceHub, type DeviceHubOptions, type PushDeviceHub } from './hub/device-hub.js';
export { defaultDeviceTransports, type DeviceStreamTarget, type DeviceTransports, type DeviceTransportsFactory } from './device-transports.js';
export { createRateLimiter, type RateLimit, type RateLimiter } from './rate-limit.js';
export type { PushMetrics } from './metrics.js';
