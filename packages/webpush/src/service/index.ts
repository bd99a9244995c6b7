/**
 * The push service's half of the RFC 8030 wire: framework-free validation of subscribe and
 * push requests over (method, headers, body), and the one table from error code to HTTP status.
 */
export * from './headers.js';
export * from './link.js';
export * from './http-status.js';
export * from './aes128gcm.js';
export * from './push-request.js';
export * from './subscribe-request.js';
export * from './authorize.js';
