/**
 * @module @fosspush/sse
 *
 * The push service <-> device wire over Server-Sent Events: server handler and client channel.
 */
export {};
