/**
 * @module @fosspush/webpush/node
 *
 * The pieces that need Node built-ins: Web Push encryption on `node:crypto`, several times as
 * fast as WebCrypto on Node (docs/crypto.md, "Performance"), and the refusal writer on
 * `node:http` a push service built on it uses. Devices use core's WebCrypto default instead.
 */
export { nodeWebPushCrypto } from './node-crypto.js';
export { refuseRequest, refuseSocket, writeRawResponse } from './node-http-refusal.js';
