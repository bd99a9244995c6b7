/**
 * @module @fosspush/sse
 *
 * The push service <-> device wire over Server-Sent Events (docs/device-wire.md): the handler
 * the push service mounts at `/set/<secret>/events`, and the device's client channel.
 */
export * from './handler.js';
export * from './channel.js';
