import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { createEmitter, FosspushError, type Listener, withDefaults } from '@fosspush/core';
import { FrameDecoder } from './framing.js';
import { encodeFrame, fromJsonRpcError, parseFrame } from './jsonrpc.js';
import type { IpcMethodName, IpcNotificationName, IpcNotifications, IpcParams, IpcResult } from './methods.js';
import { checkSocketFile } from './private-paths.js';
import { defaultSocketPath, isNamedPipe } from './socket-path.js';

export interface IpcClientOptions {
  /** @default defaultSocketPath() */
  socketPath?: string;
  /** How long a call may wait for its answer. @default 10000 */
  requestTimeoutMs?: number;
  /** Largest frame accepted from the daemon. @default 1048576 */
  maxFrameBytes?: number;
  /** How long to wait for the socket to accept. @default 5000 */
  connectTimeoutMs?: number;
}

export const IPC_CLIENT_DEFAULTS = {
  requestTimeoutMs: 10_000,
  maxFrameBytes: 1_048_576,
  connectTimeoutMs: 5_000,
} as const satisfies Required<Omit<IpcClientOptions, 'socketPath'>>;

type NotificationEvents = { [N in IpcNotificationName]: IpcNotifications[N] } & { close: FosspushError };

export interface IpcClient {
  readonly closed: boolean;
  call<M extends IpcMethodName>(method: M, params: IpcParams<M>): Promise<IpcResult<M>>;
  /** Listens for a daemon notification, or `close` (with the reason) when the connection ends. */
  on<E extends keyof NotificationEvents>(event: E, listener: Listener<NotificationEvents[E]>): () => void;
  close(): void;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: FosspushError): void;
  timer: ReturnType<typeof setTimeout>;
}

function unreachable(path: string, error: NodeJS.ErrnoException): FosspushError {
  return new FosspushError('UNAVAILABLE', `fosspushd is not reachable on ${path} (${error.code ?? error.message}): is the daemon running?`, {
    cause: error,
    details: { socketPath: path },
  });
}

/**
 * Refuses a socket another user could have put there, before anything (an app credential
 * above all) is sent to it: the same ownership rules the daemon applies when it listens.
 */
async function checkOwnership(path: string): Promise<void> {
  if (isNamedPipe(path)) return;
  try {
    await checkSocketFile(path, dirname(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') throw unreachable(path, error as NodeJS.ErrnoException);
    throw error;
  }
}

async function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  await checkOwnership(path);
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new FosspushError('TIMEOUT', `fosspushd did not accept a connection on ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(unreachable(path, error));
    });
  });
}

/**
 * The app side of the IPC wire: typed calls and notifications over one socket.
 *
 * @example
 * const ipc = await connectIpc();
 * const { registrations } = await ipc.call('registrations', { appId, credential });
 */
export async function connectIpc(options: IpcClientOptions = {}): Promise<IpcClient> {
  const settings = withDefaults(IPC_CLIENT_DEFAULTS, options);
  const socketPath = options.socketPath ?? defaultSocketPath();
  const socket = await openSocket(socketPath, settings.connectTimeoutMs);
  const events = createEmitter<NotificationEvents>();
  const pending = new Map<number, Pending>();
  const decoder = new FrameDecoder(settings.maxFrameBytes);
  let nextId = 1;
  let closeReason: FosspushError | undefined;

  const shutdown = (reason: FosspushError) => {
    if (closeReason) return;
    closeReason = reason;
    socket.destroy();
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      call.reject(reason);
      pending.delete(id);
    }
    events.emit('close', reason);
  };

  socket.on('data', (chunk: Buffer) => {
    for (const event of decoder.push(chunk)) {
      if (event.kind === 'oversized') {
        shutdown(new FosspushError('FRAME_TOO_LARGE', `the daemon sent a frame over ${settings.maxFrameBytes} bytes`));
        return;
      }
      const frame = parseFrame(event.text);
      if (frame.kind === 'notification') {
        events.emit(frame.method as IpcNotificationName, frame.params as never);
      } else if (frame.kind === 'response' && typeof frame.id === 'number') {
        const call = pending.get(frame.id);
        if (!call) continue;
        pending.delete(frame.id);
        clearTimeout(call.timer);
        if (frame.error !== undefined) call.reject(fromJsonRpcError(frame.error));
        else call.resolve(frame.result);
      } else if (frame.kind === 'response' && frame.error !== undefined) {
        // An error without an id answers a frame the daemon could not read: a bug on this side.
        shutdown(fromJsonRpcError(frame.error));
        return;
      }
    }
  });
  socket.on('error', (error) => shutdown(new FosspushError('CLOSED', `connection to fosspushd failed: ${error.message}`, { cause: error })));
  socket.on('close', () => shutdown(new FosspushError('CLOSED', 'the connection to fosspushd closed')));

  return {
    get closed() {
      return closeReason !== undefined;
    },
    call(method, params) {
      if (closeReason) return Promise.reject(closeReason);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new FosspushError('TIMEOUT', `fosspushd did not answer ${method} within ${settings.requestTimeoutMs} ms`));
        }, settings.requestTimeoutMs);
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
        socket.write(encodeFrame({ jsonrpc: '2.0', id, method, params }));
      });
    },
    on: events.on,
    close() {
      shutdown(new FosspushError('CLOSED', 'the client closed the connection'));
    },
  };
}
