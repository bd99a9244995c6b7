/**
 * @module @fosspush/store-redis
 *
 * Redis store and broker for fosspush push servers that scale out over several nodes.
 */
export {};
