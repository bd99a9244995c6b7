import { chmod, mkdir, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { dirname } from 'node:path';
import { FosspushError, withDefaults } from '@fosspush/core';
import { type IpcHandlers, type IpcServerEvent, ServerConnection } from './server-connection.js';
import { checkSocketFolder } from './private-paths.js';
import { defaultSocketPath, isNamedPipe } from './socket-path.js';

export interface IpcServerOptions {
  /** @default defaultSocketPath() */
  socketPath?: string;
  /** Largest request frame, newline excluded. @default 65536 */
  maxFrameBytes?: number;
  /** Unread bytes queued to one client before it is dropped as a slow reader. @default 1048576 */
  maxWriteBufferBytes?: number;
  /** Requests one client may have in flight before its socket stops being read. @default 32 */
  maxPendingRequests?: number;
  /** @default 256 */
  maxConnections?: number;
  /** Connection lifecycle and trouble, for the daemon's log. */
  onEvent?: (event: IpcServerEvent) => void;
}

export const IPC_SERVER_DEFAULTS = {
  maxFrameBytes: 65_536,
  maxWriteBufferBytes: 1_048_576,
  maxPendingRequests: 32,
  maxConnections: 256,
} as const satisfies Required<Omit<IpcServerOptions, 'socketPath' | 'onEvent'>>;

export interface IpcServer {
  readonly socketPath: string;
  readonly connectionCount: number;
  listen(): Promise<void>;
  /** Stops accepting, drops every connection and removes the socket file. */
  close(): Promise<void>;
}

/** True when something answers on the socket: a live daemon, as opposed to a stale file. */
function probe(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Makes the socket's folder private. Node cannot read a peer's uid (no SO_PEERCRED), so the
 * file system is the access check: a 0700 folder we own and a 0600 socket admit only our uid.
 * Any other folder is refused (see checkSocketFolder), except a sticky one root owns.
 */
async function prepareDirectory(socketPath: string): Promise<void> {
  const dir = dirname(socketPath);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await checkSocketFolder(dir);
}

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * The daemon side of the IPC wire.
 *
 * @example
 * const server = createIpcServer(handlers, { socketPath: '/run/user/1000/fosspush/daemon.sock' });
 * await server.listen();
 */
export function createIpcServer(handlers: IpcHandlers, options: IpcServerOptions = {}): IpcServer {
  const settings = withDefaults(IPC_SERVER_DEFAULTS, options);
  const socketPath = options.socketPath ?? defaultSocketPath();
  const report = options.onEvent ?? (() => {});
  const connections = new Set<ServerConnection>();
  let nextId = 1;
  let listening = false;

  const server = createServer({ allowHalfOpen: false }, (socket) => {
    if (connections.size >= settings.maxConnections) {
      report({ type: 'rejected', reason: 'too-many-connections' });
      socket.destroy();
      return;
    }
    const connection = new ServerConnection(nextId++, socket, handlers, settings, report);
    connections.add(connection);
    report({ type: 'connected', connection: connection.id });
    connection.onClose(() => {
      connections.delete(connection);
      report({ type: 'disconnected', connection: connection.id });
    });
  });

  return {
    socketPath,
    get connectionCount() {
      return connections.size;
    },
    async listen() {
      const pipe = isNamedPipe(socketPath);
      if (!pipe) await prepareDirectory(socketPath);
      try {
        await listenOn(server, socketPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || pipe) throw error;
        if (await probe(socketPath)) {
          throw new FosspushError('UNAVAILABLE', `another daemon is already listening on ${socketPath}`, { cause: error });
        }
        // A socket file left behind by a daemon that was killed: nothing answers, so reuse the path.
        await rm(socketPath, { force: true });
        await listenOn(server, socketPath);
      }
      if (!pipe) await chmod(socketPath, 0o600);
      listening = true;
    },
    async close() {
      for (const connection of connections) connection.close();
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!isNamedPipe(socketPath)) await rm(socketPath, { force: true });
    },
  };
}
