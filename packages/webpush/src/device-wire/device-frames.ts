import {
  createPushMessage,
  FosspushError,
  type FosspushErrorCode,
  fromBase64Url,
  type PushMessage,
  type StoredMessage,
  toBase64Url,
  validateMessageId,
} from '@fosspush/core';

/**
 * The frames of the push service <-> device wire (docs/device-wire.md). Both transports carry
 * the same JSON text: one WebSocket text frame, or the `data` of one SSE event.
 *
 * Version 2 moves liveness to the device (section 6). A device asks for it with `?v=2`; a
 * server answers `ready` with the version it speaks, so old devices (which ask for nothing)
 * keep getting version 1 and new devices still work against old servers.
 */
export const DEVICE_WIRE_VERSION = 2;

/** The version a device that asks for none gets: server-driven heartbeats. */
export const LEGACY_DEVICE_WIRE_VERSION = 1;

/** The error codes a server may put in an `error` frame; anything else reads as INTERNAL. */
export const WIRE_ERROR_CODES = [
  'PROTOCOL_ERROR',
  'FRAME_TOO_LARGE',
  'NOT_FOUND',
  'RATE_LIMITED',
  'UNAVAILABLE',
  'INTERNAL',
] as const satisfies readonly FosspushErrorCode[];

/**
 * The most message ids one `ack` frame may carry, announced in `ready` as `maxAckIds`. At 64
 * characters an id, 50 of them fit the server's 4 KiB frame limit with room to spare.
 */
export const MAX_ACK_IDS_PER_FRAME = 50;

/** The largest registration id a device accepts, so a hostile server cannot grow its state. */
const MAX_REGISTRATION_ID_LENGTH = 256;

export type ServerFrame =
  | {
      readonly type: 'ready';
      readonly version: number;
      /**
       * The longest the server lets this stream go quiet between the server's own heartbeats
       * (version 1, and SSE in version 2); undefined when the server sends none (WebSocket v2).
       */
      readonly heartbeatMs: number | undefined;
      /** Version 2: the longest interval the server accepts between device heartbeats. */
      readonly maxHeartbeatMs: number | undefined;
      /** How many ids one ack frame may carry; 1 from a server that predates batched acks. */
      readonly maxAckIds: number;
    }
  | { readonly type: 'msg'; readonly seq: number; readonly registrationId: string; readonly message: PushMessage }
  | { readonly type: 'error'; readonly error: FosspushError };

/** An ack names one id (`id`) or, to a server that announced `maxAckIds`, several (`ids`). */
export type DeviceFrame = { readonly type: 'ack'; readonly ids: readonly string[] };

export interface ReadyFrameFields {
  version: number;
  /** The server's own heartbeat cadence on this stream; absent when it sends none. */
  heartbeatMs?: number | undefined;
  /** Version 2 only. */
  maxHeartbeatMs?: number | undefined;
  /** Only where the device acks in frames (WebSocket); SSE devices ack over HTTP. */
  maxAckIds?: number | undefined;
}

/** Members left undefined are left out, so a version 1 frame is exactly what v1 servers sent. */
export function encodeReadyFrame(fields: ReadyFrameFields): string {
  return JSON.stringify({
    type: 'ready',
    v: fields.version,
    heartbeatMs: fields.heartbeatMs,
    maxHeartbeatMs: fields.maxHeartbeatMs,
    maxAckIds: fields.maxAckIds,
  });
}

interface NodeBufferLike {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): { toString(encoding: 'base64url'): string };
}

/**
 * The push service encodes every payload it delivers. On Node, Buffer's native base64url is
 * several times faster than core's portable encoder and leaves no intermediate strings for the
 * collector; devices (browsers, React Native) get the portable one.
 */
const nodeBuffer = (globalThis as { Buffer?: NodeBufferLike }).Buffer;
const payloadToBase64Url: (bytes: Uint8Array) => string =
  nodeBuffer === undefined ? toBase64Url : (bytes) => nodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

const quote = JSON.stringify;

/**
 * Written by hand rather than through an object and JSON.stringify: it runs once per delivered
 * message and this way costs a third. The output is the same JSON (strings still go through
 * JSON.stringify, so nothing needs escaping rules of its own).
 */
export function encodeMessageFrame(message: StoredMessage): string {
  const topic = message.topic === undefined ? '' : `"topic":${quote(message.topic)},`;
  return `{"type":"msg","seq":${message.seq},"id":${quote(message.id)},"sub":${quote(message.registrationId)},"ttl":${message.ttlSeconds},"urgency":${quote(message.urgency)},${topic}"sentAt":${message.sentAt},"payload":"${payloadToBase64Url(message.payload)}"}`;
}

export function encodeErrorFrame(error: FosspushError): string {
  const code = (WIRE_ERROR_CODES as readonly string[]).includes(error.code) ? error.code : 'INTERNAL';
  return JSON.stringify({ type: 'error', code, message: error.message });
}

/** One id keeps the original single-id form, which every server reads. */
export function encodeAckFrame(messageIds: string | readonly string[]): string {
  if (typeof messageIds === 'string') return JSON.stringify({ type: 'ack', id: messageIds });
  return messageIds.length === 1 ? JSON.stringify({ type: 'ack', id: messageIds[0] }) : JSON.stringify({ type: 'ack', ids: messageIds });
}

function protocolError(message: string, cause?: unknown): FosspushError {
  return new FosspushError('PROTOCOL_ERROR', message, { cause });
}

/** The fields any frame may have, each still unchecked. */
type WireFields = Partial<
  Record<'type' | 'v' | 'heartbeatMs' | 'maxHeartbeatMs' | 'maxAckIds' | 'seq' | 'id' | 'ids' | 'sub' | 'ttl' | 'urgency' | 'topic' | 'sentAt' | 'payload' | 'code' | 'message', unknown>
>;

function parseObject(text: string, from: string): WireFields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw protocolError(`${from} frame is not JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw protocolError(`${from} frame is not a JSON object`);
  return value as WireFields;
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function decodeMessage(frame: WireFields): ServerFrame {
  const { seq, sub, id, payload, sentAt } = frame;
  if (!isSeq(seq)) throw protocolError('msg frame needs a positive integer seq');
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_REGISTRATION_ID_LENGTH) {
    throw protocolError('msg frame needs a registration id in sub');
  }
  // Without these createPushMessage would invent an id and a time: a message must keep its own.
  if (typeof id !== 'string' || typeof sentAt !== 'number' || typeof payload !== 'string') {
    throw protocolError('msg frame needs id, sentAt and payload');
  }
  try {
    // The same checks the service applied when it accepted the message.
    const message = createPushMessage({
      id,
      payload: fromBase64Url(payload, 'msg payload'),
      ttlSeconds: frame.ttl as number,
      urgency: frame.urgency as PushMessage['urgency'],
      topic: frame.topic as string | undefined,
      sentAt,
    });
    return { type: 'msg', seq, registrationId: sub, message };
  } catch (cause) {
    throw protocolError(`msg frame carries an invalid message: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
}

const isPositive = (value: unknown): value is number => typeof value === 'number' && value > 0 && Number.isFinite(value);

function decodeReady(frame: WireFields): ServerFrame {
  const { v, heartbeatMs, maxHeartbeatMs, maxAckIds } = frame;
  if (v !== LEGACY_DEVICE_WIRE_VERSION && v !== DEVICE_WIRE_VERSION) {
    throw protocolError(`the server speaks device wire version ${String(v)}, this client ${LEGACY_DEVICE_WIRE_VERSION} to ${DEVICE_WIRE_VERSION}`);
  }
  if (v === LEGACY_DEVICE_WIRE_VERSION && !isPositive(heartbeatMs)) throw protocolError('ready frame needs a positive heartbeatMs');
  if (v === DEVICE_WIRE_VERSION && !isPositive(maxHeartbeatMs)) throw protocolError('version 2 ready frame needs a positive maxHeartbeatMs');
  if (heartbeatMs !== undefined && !isPositive(heartbeatMs)) throw protocolError('ready frame heartbeatMs must be positive');
  // Absent (an older server) or nonsense: one id per ack frame, which every server reads.
  const batch = typeof maxAckIds === 'number' && Number.isSafeInteger(maxAckIds) && maxAckIds > 1 ? maxAckIds : 1;
  return {
    type: 'ready',
    version: v,
    heartbeatMs: heartbeatMs as number | undefined,
    maxHeartbeatMs: v === DEVICE_WIRE_VERSION ? (maxHeartbeatMs as number) : undefined,
    maxAckIds: Math.min(batch, MAX_ACK_IDS_PER_FRAME),
  };
}

/**
 * Reads one server frame. Throws PROTOCOL_ERROR for anything that is not a well-formed frame of
 * this version; the caller reports it and reads on.
 */
export function decodeServerFrame(text: string): ServerFrame {
  const frame = parseObject(text, 'server');
  switch (frame.type) {
    case 'msg':
      return decodeMessage(frame);
    case 'ready':
      return decodeReady(frame);
    case 'error': {
      const { code, message } = frame;
      const known = (WIRE_ERROR_CODES as readonly unknown[]).includes(code);
      return {
        type: 'error',
        error: new FosspushError(known ? (code as FosspushErrorCode) : 'INTERNAL', `the push service reports: ${String(message)}`, {
          details: { serverCode: String(code) },
        }),
      };
    }
    default:
      throw protocolError(`unknown server frame type ${JSON.stringify(frame.type)}`);
  }
}

/** Reads one device frame; throws PROTOCOL_ERROR for anything else. */
export function decodeDeviceFrame(text: string): DeviceFrame {
  const frame = parseObject(text, 'device');
  if (frame.type !== 'ack') throw protocolError(`unknown device frame type ${JSON.stringify(frame.type)}`);
  const { id, ids } = frame;
  if (ids === undefined) {
    try {
      return { type: 'ack', ids: [validateMessageId(id)] };
    } catch (cause) {
      throw protocolError('ack frame needs a message id', cause);
    }
  }
  if (id !== undefined || !Array.isArray(ids) || ids.length === 0 || ids.length > MAX_ACK_IDS_PER_FRAME) {
    throw protocolError(`ack frame needs either id or ids, an array of 1 to ${MAX_ACK_IDS_PER_FRAME} message ids`);
  }
  try {
    for (const each of ids) validateMessageId(each);
  } catch (cause) {
    throw protocolError('ack frame ids must all be message ids', cause);
  }
  return { type: 'ack', ids: ids as string[] };
}

/**
 * A resume cursor (`?after=`, `Last-Event-ID`): a non-negative decimal integer. Absent or empty
 * means "from the start of the queue".
 */
export function parseResumeCursor(value: string | null | undefined, what = 'resume cursor'): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const seq = /^\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(seq)) {
    throw new FosspushError('INVALID_REQUEST', `${what} must be a non-negative integer`, { details: { field: what } });
  }
  return seq;
}

/**
 * The cursor a stream request carries: `Last-Event-ID` wins over `?after=`, because a browser's
 * EventSource resends its original URL (with the stale `after`) but a fresh Last-Event-ID.
 */
export function resumeCursorFromRequest(requestUrl: string, lastEventId?: string | null): number | undefined {
  const fromHeader = parseResumeCursor(lastEventId, 'Last-Event-ID');
  if (fromHeader !== undefined) return fromHeader;
  return parseResumeCursor(new URL(requestUrl, 'http://localhost').searchParams.get('after'), 'after');
}

/** What a device asks of a stream besides its cursor (docs/device-wire.md section 6). */
export interface StreamParameters {
  /** The wire version the device speaks; absent asks for version 1. */
  version?: number | undefined;
  /** SSE, version 2: the comment cadence the device asks for. */
  heartbeatMs?: number | undefined;
}

/** The device stream URL for a set: `<setUrl>/<suffix>?after=<seq>&v=<version>&heartbeat=<ms>`. */
export function deviceStreamUrl(setUrl: string, suffix: 'ws' | 'events', afterSeq?: number, parameters: StreamParameters = {}): string {
  const url = new URL(setUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${suffix}`;
  if (afterSeq !== undefined) url.searchParams.set('after', String(afterSeq));
  if (parameters.version !== undefined) url.searchParams.set('v', String(parameters.version));
  if (parameters.heartbeatMs !== undefined) url.searchParams.set('heartbeat', String(Math.round(parameters.heartbeatMs)));
  if (suffix === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

/**
 * Reads `?v=` and `?heartbeat=` from a stream request. An unknown or missing version reads as
 * version 1 (what a device that knows nothing newer expects); a version above ours reads as
 * ours, so a newer device still gets a stream it can use. A malformed heartbeat is
 * INVALID_REQUEST, like a malformed cursor.
 */
export function streamParametersFromRequest(requestUrl: string): { version: number; heartbeatMs: number | undefined } {
  const query = new URL(requestUrl, 'http://localhost').searchParams;
  const asked = Number(query.get('v'));
  const version = Number.isSafeInteger(asked) && asked >= DEVICE_WIRE_VERSION ? DEVICE_WIRE_VERSION : LEGACY_DEVICE_WIRE_VERSION;
  const heartbeat = query.get('heartbeat');
  if (heartbeat === null || heartbeat === '') return { version, heartbeatMs: undefined };
  if (!/^\d{1,10}$/.test(heartbeat) || Number(heartbeat) === 0) {
    throw new FosspushError('INVALID_REQUEST', 'heartbeat must be a positive integer of milliseconds', { details: { field: 'heartbeat' } });
  }
  return { version, heartbeatMs: Number(heartbeat) };
}
