/**
 * @module @fosspush/websocket
 *
 * The push service <-> device wire over WebSocket: server handler and client channel.
 */
export {};
