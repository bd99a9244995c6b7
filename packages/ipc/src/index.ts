/**
 * @module @fosspush/ipc
 *
 * The wire between the fosspush daemon and apps: JSON-RPC 2.0 over a Unix socket.
 */
export {};
