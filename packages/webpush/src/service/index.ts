/**
 * @module @fosspush/webpush/service
 *
 * The push service's half of the RFC 8030 wire: framework-free validation of subscribe and
 * push requests over (method, headers, body), and the one table from error code to HTTP status.
 * Also the service's half of the device wire (`device-stream/`) and the frames both halves
 * share, so a push server imports everything it speaks from here.
 */
export * from './headers.js';
export * from './link.js';
export * from './http-status.js';
export * from './aes128gcm.js';
export * from './push-request.js';
export * from './subscribe-request.js';
export * from './authorize.js';
export * from './device-stream/index.js';
export * from '../device-wire/index.js';
