/**
 * @module @fosspush/store-redis
 *
 * Redis store and broker for fosspush push servers that scale out over several nodes: the
 * store keeps registrations and queued messages (atomic Lua scripts), the broker routes each
 * message to whichever node holds the device's connection (pub/sub).
 */
export { createRedisStore, REDIS_STORE_DEFAULTS, type RedisStoreOptions } from './redis-store.js';
export { createRedisBroker, type RedisBrokerOptions } from './redis-broker.js';
export { REDIS_CONNECTION_DEFAULTS, type RedisConnectionOptions } from './connection.js';
