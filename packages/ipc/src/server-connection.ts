import type { Socket } from 'node:net';
import { FosspushError, isFosspushError } from '@fosspush/core';
import { FrameDecoder } from './framing.js';
import { encodeFrame, type JsonRpcId, type JsonRpcResponse, parseFrame, toJsonRpcError } from './jsonrpc.js';
import {
  IPC_PARAM_VALIDATORS,
  type IpcMethodName,
  type IpcMethods,
  type IpcNotificationName,
  type IpcNotifications,
  type IpcCheckedParams,
  type IpcResult,
  isIpcMethod,
} from './methods.js';

/** One connected client, as a handler sees it. */
export interface IpcConnection {
  readonly id: number;
  readonly closed: boolean;
  /** Sends a notification; false when the connection is gone (or was just dropped as a slow reader). */
  notify<N extends IpcNotificationName>(name: N, params: IpcNotifications[N]): boolean;
  /** Runs once when the connection ends, whoever ends it. */
  onClose(listener: () => void): void;
  close(): void;
}

export type IpcHandlers = {
  readonly [M in IpcMethodName]: (params: IpcCheckedParams<M>, connection: IpcConnection) => Promise<IpcResult<M>> | IpcResult<M>;
};

export type IpcServerEvent =
  | { type: 'connected'; connection: number }
  | { type: 'disconnected'; connection: number }
  | { type: 'rejected'; reason: 'too-many-connections' }
  | { type: 'bad-frame'; connection: number; error: FosspushError }
  | { type: 'slow-reader'; connection: number; bufferedBytes: number }
  /** A handler threw something that is not a FosspushError: a bug, logged in full, hidden from the client. */
  | { type: 'handler-failed'; connection: number; method: string; error: unknown };

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxWriteBufferBytes: number;
  maxPendingRequests: number;
}

/**
 * Serves one socket: frames in, handler calls, responses out. Requests run concurrently up to
 * a limit, past which the socket stops being read (backpressure on a flooding client); replies
 * that pile up unread past the write limit drop the connection, so one stuck app never holds
 * daemon memory.
 */
export class ServerConnection implements IpcConnection {
  private readonly decoder: FrameDecoder;
  private readonly closeListeners: (() => void)[] = [];
  private running = 0;
  /** Requests read but not started because `maxPendingRequests` are running. */
  private readonly backlog: { id: JsonRpcId; method: string; params: unknown }[] = [];
  private ended = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly handlers: IpcHandlers,
    private readonly limits: ConnectionLimits,
    private readonly report: (event: IpcServerEvent) => void,
  ) {
    this.decoder = new FrameDecoder(limits.maxFrameBytes);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    // Resets and broken pipes are a client going away, not a daemon problem.
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.finish());
  }

  get closed(): boolean {
    return this.ended;
  }

  notify<N extends IpcNotificationName>(name: N, params: IpcNotifications[N]): boolean {
    return this.write(encodeFrame({ jsonrpc: '2.0', method: name, params }));
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    this.socket.destroy();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private receive(chunk: Buffer): void {
    for (const event of this.decoder.push(chunk)) {
      if (event.kind === 'oversized') {
        this.reject(null, new FosspushError('FRAME_TOO_LARGE', `frames are limited to ${this.limits.maxFrameBytes} bytes`));
        continue;
      }
      const frame = parseFrame(event.text);
      if (frame.kind === 'invalid') this.reject(frame.id, frame.error);
      else if (frame.kind === 'request') this.backlog.push(frame);
      // Client notifications and stray responses have no meaning here; JSON-RPC forbids replying.
    }
    this.drain();
  }

  /**
   * Starts queued requests up to the limit. While some must wait, the socket is not read, so a
   * flooding client fills its own kernel buffer instead of the daemon's memory.
   */
  private drain(): void {
    while (this.running < this.limits.maxPendingRequests && !this.ended) {
      const next = this.backlog.shift();
      if (!next) break;
      void this.run(next.id, next.method, next.params);
    }
    if (this.ended) return;
    if (this.backlog.length > 0) this.socket.pause();
    else this.socket.resume();
  }

  private reject(id: JsonRpcId | null, error: FosspushError): void {
    this.report({ type: 'bad-frame', connection: this.id, error });
    this.respond({ jsonrpc: '2.0', id, error: toJsonRpcError(error) });
  }

  private async run(id: JsonRpcId, method: string, rawParams: unknown): Promise<void> {
    if (!isIpcMethod(method)) {
      this.reject(id, new FosspushError('METHOD_NOT_FOUND', `unknown method ${JSON.stringify(method.slice(0, 64))}`));
      return;
    }
    this.running++;
    try {
      const result = await this.dispatch(method, rawParams);
      this.respond({ jsonrpc: '2.0', id, result });
    } catch (error) {
      if (!isFosspushError(error)) this.report({ type: 'handler-failed', connection: this.id, method, error });
      this.respond({ jsonrpc: '2.0', id, error: toJsonRpcError(error) });
    } finally {
      this.running--;
      this.drain();
    }
  }

  private dispatch<M extends IpcMethodName>(method: M, rawParams: unknown): Promise<IpcMethods[M]['result']> | IpcMethods[M]['result'] {
    const params = IPC_PARAM_VALIDATORS[method](rawParams);
    return this.handlers[method](params, this);
  }

  private respond(response: JsonRpcResponse): void {
    this.write(encodeFrame(response));
  }

  /**
   * A client that left more than the limit unread is dropped before anything more is queued.
   * One frame may go past the limit (a page of messages it asked for), so memory stays bounded
   * by the limit plus one frame, and a large reply alone never counts as slow reading.
   */
  private write(frame: string): boolean {
    if (this.ended || this.socket.destroyed) return false;
    const buffered = this.socket.writableLength;
    if (buffered > this.limits.maxWriteBufferBytes) {
      this.report({ type: 'slow-reader', connection: this.id, bufferedBytes: buffered });
      this.socket.destroy();
      return false;
    }
    this.socket.write(frame);
    return true;
  }
}
