import type { Socket } from 'node:net';
import { FosspushError, isPending } from '@fosspush/core';
import { acceptPush, admitPush, type PushCreated } from '../../handlers/push.js';
import { answerClientError } from '../client-error.js';
import { HAND_OVER, NEED_MORE, type PushHead, readPushHead } from './push-head.js';
import type { RawPushPath } from './raw-push-path.js';

/** Answers waiting on the store before this connection stops reading more requests. */
const MAX_WAITING_ANSWERS = 256;

/** The connection's socket, so the module-level listeners below find it without a closure. */
const CONNECTION = Symbol('fosspush.rawPushConnection');
type ServedSocket = Socket & { [CONNECTION]?: PushConnection };

/** Where the connection stands; `handing-over` waits for its own answers to go out first. */
type State = 'serving' | 'closing' | 'handing-over' | 'gone';

/**
 * One client connection on the raw push path. It reads pipelined pushes, answers each read's
 * pushes with one write, in request order even when the store answers later, and hands the
 * connection to Node's HTTP server at the first request it does not serve, for good.
 *
 * Timing mirrors Node's server: a head must be complete `headersTimeoutMs` after the
 * connection (or the request's first byte) and a body `bodyTimeoutMs` after its head, both
 * answered 408 with the connection closed; an idle connection closes `keepAliveTimeoutMs`
 * after its last answer. The path's timer calls `checkTimeouts`.
 */
export class PushConnection {
  private state: State = 'serving';
  /** Bytes of a request not complete yet (its head, or its head and part of its body). */
  private unread: Buffer | undefined;
  /** Answers of this read, written with one write when the read is done. */
  private out = '';
  /** Answers behind one that waits for the store; `undefined` until it has come. */
  private readonly queued: (string | undefined)[] = [];
  private queuedBase = 0;
  private waiting = 0;
  /** Answers the store gave since the last write, whose write is due at the end of this microtask turn. */
  private settledUnwritten = 0;
  private clientEnded = false;
  // Deadlines count ticks of the path's timer (`DeadlineClock`), not the wall clock.
  /** When the head being read started (the connection, or its first byte); undefined when idle. */
  private headSince: number | undefined;
  private bodySince: number | undefined;
  private idleSince = 0;

  constructor(
    private readonly path: RawPushPath,
    readonly socket: ServedSocket,
  ) {
    this.headSince = path.clock.ticks;
    socket[CONNECTION] = this;
    socket.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose).on('drain', onDrain);
  }

  /**
   * After a request, nothing half read and nothing to answer: what `closeIdleConnections` closes.
   * As in Node's server, a connection that has not sent its first request is not idle.
   */
  get idle(): boolean {
    return this.state === 'serving' && this.headSince === undefined && this.waiting === 0;
  }

  read(chunk: Buffer): void {
    const now = this.path.clock.ticks;
    const buffer = this.unread === undefined ? chunk : Buffer.concat([this.unread, chunk]);
    this.unread = undefined;
    this.headSince ??= now;
    let offset = 0;
    while (this.state === 'serving' && offset < buffer.length) {
      const head = readPushHead(buffer, offset, this.path.limits);
      if (head === NEED_MORE) break;
      if (head === HAND_OVER) {
        this.handOver(buffer.subarray(offset));
        offset = buffer.length;
        break;
      }
      const end = offset + head.headLength + head.bodyLength;
      if (end > buffer.length) {
        this.bodySince ??= now;
        break;
      }
      this.serve(head, buffer.subarray(offset + head.headLength, end));
      offset = end;
      this.bodySince = undefined;
      this.headSince = now;
    }
    if (offset < buffer.length) {
      if (this.state === 'serving') this.unread = buffer.subarray(offset);
    } else if (this.state === 'serving') {
      this.headSince = undefined;
      this.idleSince = now;
    }
    this.flush();
  }

  private serve(head: PushHead, body: Uint8Array): void {
    const { drain, ctx } = this.path.wiring;
    if (drain.closing) {
      // As Node's path: 503 with Connection: close, and nothing after it is read.
      this.state = 'closing';
      this.refuse(new FosspushError('UNAVAILABLE', 'the server is shutting down'), true);
      return;
    }
    drain.started();
    let accepting: PushCreated | PromiseLike<PushCreated>;
    try {
      this.path.wiring.limitClient(head.headers, this.socket.remoteAddress);
      admitPush(ctx, head.pushId);
      accepting = acceptPush(ctx, head.pushId, head, body);
    } catch (error) {
      this.refuse(error, false);
      drain.finished();
      return;
    }
    if (!isPending(accepting)) {
      this.answer(this.path.responses.created(accepting), 201);
      drain.finished();
      return;
    }
    const slot = this.queuedBase + this.queued.push(undefined) - 1;
    this.waiting++;
    accepting.then(
      (created) => this.settle(slot, this.path.responses.created(created), 201),
      (error: unknown) => {
        const refusal = this.path.failures.answer('push', error);
        this.settle(slot, this.path.responses.refused(refusal, false), refusal.status);
      },
    );
  }

  private refuse(error: unknown, close: boolean): void {
    const refusal = this.path.failures.answer('push', error);
    this.answer(this.path.responses.refused(refusal, close), refusal.status);
  }

  private answer(text: string, status: number): void {
    if (this.queued.length === 0) this.out += text;
    else this.queued.push(text);
    this.path.wiring.metrics.countRequest('push', status);
  }

  /**
   * An answer the store gave later: it goes out once every answer before it has. The store
   * settles a group commit's pushes in one go, so the write waits for the end of that go (a
   * microtask) and carries all of them; the drain learns they are done once they are written.
   */
  private settle(slot: number, text: string, status: number): void {
    this.waiting--;
    this.queued[slot - this.queuedBase] = text;
    while (this.queued.length > 0 && this.queued[0] !== undefined) {
      this.out += this.queued.shift() as string;
      this.queuedBase++;
    }
    this.path.wiring.metrics.countRequest('push', status);
    this.settledUnwritten++;
    if (this.settledUnwritten === 1) queueMicrotask(this.flushSettled);
  }

  private readonly flushSettled = (): void => {
    const settled = this.settledUnwritten;
    this.settledUnwritten = 0;
    // The keep-alive deadline counts from the last answer, as Node's does.
    if (this.waiting === 0) this.idleSince = this.path.clock.ticks;
    this.flush();
    for (let i = 0; i < settled; i++) this.path.wiring.drain.finished();
  };

  /**
   * Writes what is ready, then, once no answer waits, ends, hands over or reads on as the state
   * asks. Reading pauses while the client does not read its answers or too many wait on the store.
   */
  private flush(): void {
    if (this.state === 'gone') return;
    if (this.out !== '') {
      this.socket.write(this.out, 'latin1');
      this.out = '';
    }
    if (this.state === 'serving') {
      if (this.waiting >= MAX_WAITING_ANSWERS || this.socket.writableNeedDrain) this.socket.pause();
      else if (this.socket.isPaused()) this.socket.resume();
    }
    if (this.waiting > 0) return;
    if (this.state === 'closing') {
      this.detach();
      this.socket.destroySoon();
    } else if (this.state === 'handing-over') {
      this.detach();
      this.path.handToNode(this.socket);
    } else if (this.clientEnded) {
      this.state = 'closing';
      this.detach();
      this.socket.end();
    }
  }

  /**
   * From this request on, Node's server has the connection. The bytes go back into the socket
   * now, before the client's end could be read; Node takes them once every earlier answer is out.
   */
  private handOver(rest: Buffer): void {
    this.state = 'handing-over';
    this.socket.off('data', onData);
    this.socket.pause();
    this.socket.unshift(rest);
  }

  onEnd(): void {
    this.clientEnded = true;
    if (this.state === 'serving') this.flush();
  }

  onDrain(): void {
    this.flush();
  }

  onClose(): void {
    this.detach();
    this.state = 'gone';
  }

  fail(error: unknown): void {
    this.path.wiring.logger.error('raw_push_failed', { error });
    this.socket.destroy();
  }

  /** Called on each tick of the path's timer: the same deadlines as Node's server and the body reader. */
  checkTimeouts(): void {
    if (this.state !== 'serving' || this.waiting > 0) return;
    const { settings } = this.path.wiring;
    const { clock } = this.path;
    if (this.bodySince !== undefined && clock.passed(this.bodySince, settings.bodyTimeoutMs)) {
      // As the body reader of Node's path: 408, and the connection closes (the rest is unread).
      this.state = 'closing';
      this.unread = undefined;
      this.refuse(new FosspushError('TIMEOUT', `the request body did not arrive within ${settings.bodyTimeoutMs} ms`), true);
      this.flush();
    } else if (this.bodySince === undefined && this.headSince !== undefined && clock.passed(this.headSince, settings.headersTimeoutMs)) {
      // As Node's server (its clientError): 408, closed.
      this.state = 'closing';
      this.detach();
      answerClientError(Object.assign(new Error('Request timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }), this.socket);
    } else if (this.headSince === undefined && clock.passed(this.idleSince, settings.keepAliveTimeoutMs)) {
      this.socket.destroy();
    }
  }

  /**
   * Leaves the socket: the path forgets it and its listeners go, but the error guard stays
   * while the socket closes; Node brings its own when it takes the socket over.
   */
  private detach(): void {
    this.path.connections.delete(this);
    this.socket[CONNECTION] = undefined;
    this.socket.off('data', onData).off('end', onEnd).off('close', onClose).off('drain', onDrain);
    if (this.state === 'handing-over') this.socket.off('error', onError);
  }
}

// One set of listener functions for every connection: a closure each would be garbage per client.
function onData(this: ServedSocket, chunk: Buffer): void {
  const connection = this[CONNECTION];
  try {
    connection?.read(chunk);
  } catch (error) {
    // A fault of ours, not of the client's bytes (those are handed over or answered): the
    // connection goes, the process stays.
    connection?.fail(error);
  }
}
function onEnd(this: ServedSocket): void {
  this[CONNECTION]?.onEnd();
}
function onDrain(this: ServedSocket): void {
  this[CONNECTION]?.onDrain();
}
function onClose(this: ServedSocket): void {
  this[CONNECTION]?.onClose();
}
/** A reset or a write to a closed peer: the socket closes, the process carries on. */
function onError(this: ServedSocket): void {
  this.destroy();
}
