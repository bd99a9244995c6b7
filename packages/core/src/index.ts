/**
 * @module @fosspush/core
 *
 * The platform-independent heart of fosspush: the push message and token model, the
 * interfaces every channel, store and broker implements, and the crypto that keeps payloads
 * end-to-end encrypted. No I/O and no `node:*` imports: it runs in Node, browsers and React
 * Native alike.
 */
export * from './errors.js';
export { importOptional } from './optional-dependency.js';
export * from './schema.js';
export * from './log.js';
export * from './runtime.js';
export * from './timing.js';
export * from './with-defaults.js';
export * from './backoff.js';
export * from './emitter.js';
export * from './encoding/base64url.js';
export * from './encoding/bytes.js';
export * from './message.js';
export * from './token.js';
export * from './store.js';
export * from './broker.js';
export * from './channel.js';
export * from './channel-support.js';
export * from './channel-lifecycle.js';
export * from './renewal.js';
export { createMemoryStore } from './memory/memory-store.js';
export { createMemoryBroker } from './memory/memory-broker.js';
export * from './device-stream.js';
export * from './webpush-crypto/index.js';
export { bufferSource } from './webpush-crypto/webcrypto.js';
export * from './autocrypt/index.js';
export * from './email-notify/index.js';
