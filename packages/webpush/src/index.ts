/**
 * @module @fosspush/webpush
 *
 * RFC 8030 Web Push over HTTP: the push service's request validation (`service/`), the app
 * server's request builder (`app-server/`), and the user agent's subscription client
 * (`user-agent/`) that device channels use to subscribe, unsubscribe and acknowledge.
 */
export * from './service/index.js';
export * from './app-server/index.js';
export * from './user-agent/index.js';
export { nodeWebPushCrypto } from './node-crypto.js';
export { refuseRequest, refuseSocket, writeRawResponse } from './node-http-refusal.js';
