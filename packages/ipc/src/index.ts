/**
 * @module @fosspush/ipc
 *
 * The wire between the fosspush daemon and apps: newline-delimited JSON-RPC 2.0 over a Unix
 * socket (a named pipe on Windows). One typed method schema (`methods.ts`) serves both ends;
 * the daemon validates every request against it before a handler runs.
 */
export * from './methods.js';
export { defaultSocketPath, isNamedPipe, type SocketPathEnvironment } from './socket-path.js';
export { checkSocketFile, checkSocketFolder, ensurePrivateFile, ensurePrivateFolder } from './private-paths.js';
export { createIpcServer, IPC_SERVER_DEFAULTS, type IpcServer, type IpcServerOptions } from './server.js';
export type { IpcConnection, IpcHandlers, IpcServerEvent } from './server-connection.js';
export { connectIpc, IPC_CLIENT_DEFAULTS, type IpcClient, type IpcClientOptions } from './client.js';
export { JSONRPC_CODES, fromJsonRpcError, toJsonRpcError } from './jsonrpc.js';
export { FrameDecoder, type FrameEvent } from './framing.js';
