/**
 * The push service's half of the device wire, which the WebSocket and SSE server handlers
 * share: one stream's life with the device hub, the per-connection outbox, and the heartbeat
 * sweep. It runs in the push server only; the device's half is in `user-agent/`.
 */
export * from './device-stream-session.js';
export * from './frame-outbox.js';
export * from './heartbeat-sweep.js';
