/**
 * @module @fosspush/webpush/node
 *
 * Web Push encryption on `node:crypto`, several times as fast as WebCrypto on Node
 * (docs/crypto.md, "Performance"). Node only: devices use core's WebCrypto default.
 */
export { nodeWebPushCrypto } from './node-crypto.js';
