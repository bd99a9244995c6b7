/**
 * @module @fosspush/webpush/user-agent
 *
 * The user agent's side of RFC 8030: the subscription client (subscribe, unsubscribe, ack) and
 * the device channel that the WebSocket and SSE packages build on, with the device wire's
 * frames. It runs on devices (Node, browsers, React Native) and bundles platform-neutral: no
 * `node:*` module is reachable from here (packages/testing/src/neutral-bundle.test.ts).
 */
export * from './http-errors.js';
export * from './push-service-client.js';
export * from '../device-wire/index.js';
export * from './keepalive.js';
export * from './delivery-ledger.js';
export * from './channel-state.js';
export * from './device-stream-channel.js';
