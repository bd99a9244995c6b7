/**
 * The user agent's side of RFC 8030: the subscription client (subscribe, unsubscribe, ack),
 * the push service <-> device wire's frames, and the device channel that the WebSocket and SSE
 * packages build on. The frames and the server-side outbox live here too, so both halves of
 * the device wire read one definition.
 */
export * from './http-errors.js';
export * from './push-service-client.js';
export * from './device-frames.js';
export * from './frame-outbox.js';
export * from './device-stream-session.js';
export * from './heartbeat-sweep.js';
export * from './keepalive.js';
export * from './delivery-ledger.js';
export * from './channel-state.js';
export * from './device-stream-channel.js';
