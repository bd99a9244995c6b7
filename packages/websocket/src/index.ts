/**
 * @module @fosspush/websocket
 *
 * The push service <-> device wire over WebSocket (docs/device-wire.md): the server handler
 * the push service mounts at `/set/<secret>/ws`, and the device's client channel.
 */
export * from './close-codes.js';
export * from './server.js';
export * from './channel.js';
