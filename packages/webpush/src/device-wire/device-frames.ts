import {
  createPushMessage,
  FosspushError,
  type FosspushErrorCode,
  fromBase64Url,
  isMessageId,
  type PushMessage,
  parseWithSchema,
  record,
  type SchemaRefusal,
  type StoredMessage,
  toBase64Url,
} from '@fosspush/core';
import * as v from 'valibot';

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
 * JSON.stringify, so nothing needs escaping rules of its own). `seq` is the resume cursor the
 * frame carries, the message's own unless the service says otherwise (`DeviceSink.send`).
 */
export function encodeMessageFrame(message: StoredMessage, seq = message.seq): string {
  const topic = message.topic === undefined ? '' : `"topic":${quote(message.topic)},`;
  return `{"type":"msg","seq":${seq},"id":${quote(message.id)},"sub":${quote(message.registrationId)},"ttl":${message.ttlSeconds},"urgency":${quote(message.urgency)},${topic}"sentAt":${message.sentAt},"payload":"${payloadToBase64Url(message.payload)}"}`;
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

/**
 * The frames as schemas, one per frame type: a new type is one more schema and one more `case`
 * in the decoder. Each message is the whole sentence a peer gets in its PROTOCOL_ERROR.
 */
const FRAME_REFUSAL: SchemaRefusal = { code: 'PROTOCOL_ERROR', field: 'none' };

const NEEDS_SEQ = 'msg frame needs a positive integer seq';
const NEEDS_SUB = 'msg frame needs a registration id in sub';
const NEEDS_MESSAGE = 'msg frame needs id, sentAt and payload';

const msgFrame = record(
  {
    seq: v.pipe(v.number(NEEDS_SEQ), v.safeInteger(NEEDS_SEQ), v.gtValue(0, NEEDS_SEQ)),
    sub: v.pipe(v.string(NEEDS_SUB), v.minLength(1, NEEDS_SUB), v.maxLength(MAX_REGISTRATION_ID_LENGTH, NEEDS_SUB)),
    // Without these createPushMessage would invent an id and a time: a message must keep its own.
    id: v.string(NEEDS_MESSAGE),
    sentAt: v.number(NEEDS_MESSAGE),
    payload: v.string(NEEDS_MESSAGE),
    // Checked by createPushMessage, the same checks the service applied when it accepted the message.
    ttl: v.unknown(),
    urgency: v.unknown(),
    topic: v.unknown(),
  },
  'msg frame is not a JSON object',
);

const positive = (message: string) => v.pipe(v.number(message), v.finite(message), v.gtValue(0, message));
/** Absent (an older server) or nonsense: one id per ack frame, which every server reads. */
const ackBatch = v.optional(
  v.pipe(
    v.unknown(),
    v.transform((asked) => Math.min(typeof asked === 'number' && Number.isSafeInteger(asked) && asked > 1 ? asked : 1, MAX_ACK_IDS_PER_FRAME)),
  ),
  1,
);
// The one required member of each version is named by the object's message too: valibot reports
// a missing member on the object.
const NEEDS_HEARTBEAT = 'ready frame needs a positive heartbeatMs';
const NEEDS_MAX_HEARTBEAT = 'version 2 ready frame needs a positive maxHeartbeatMs';
const readyFrame = v.variant(
  'v',
  [
    v.object({ v: v.literal(LEGACY_DEVICE_WIRE_VERSION), heartbeatMs: positive(NEEDS_HEARTBEAT), maxAckIds: ackBatch }, NEEDS_HEARTBEAT),
    v.object(
      {
        v: v.literal(DEVICE_WIRE_VERSION),
        maxHeartbeatMs: positive(NEEDS_MAX_HEARTBEAT),
        heartbeatMs: v.optional(positive('ready frame heartbeatMs must be positive')),
        maxAckIds: ackBatch,
      },
      NEEDS_MAX_HEARTBEAT,
    ),
  ],
  (issue) => `the server speaks device wire version ${String(issue.input)}, this client ${LEGACY_DEVICE_WIRE_VERSION} to ${DEVICE_WIRE_VERSION}`,
);

const NEEDS_ID = 'ack frame needs a message id';
const EITHER_ID_OR_IDS = `ack frame needs either id or ids, an array of 1 to ${MAX_ACK_IDS_PER_FRAME} message ids`;
const ackFrame = v.pipe(
  v.looseObject({ id: v.optional(v.unknown()), ids: v.optional(v.unknown()) }),
  v.check((ack) => (ack.id === undefined) !== (ack.ids === undefined), (issue) => (issue.input.ids === undefined ? NEEDS_ID : EITHER_ID_OR_IDS)),
  v.object({
    id: v.optional(v.custom<string>(isMessageId, NEEDS_ID)),
    ids: v.optional(
      v.pipe(
        v.array(v.custom<string>(isMessageId, 'ack frame ids must all be message ids'), EITHER_ID_OR_IDS),
        v.minLength(1, EITHER_ID_OR_IDS),
        v.maxLength(MAX_ACK_IDS_PER_FRAME, EITHER_ID_OR_IDS),
      ),
    ),
  }),
  v.transform((ack): DeviceFrame => ({ type: 'ack', ids: ack.ids ?? [ack.id as string] })),
);

/** A frame before its type's schema has checked it. */
type UncheckedFrame = Readonly<Record<string, unknown>> & { readonly type?: unknown };

function parseObject(text: string, from: string): UncheckedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw protocolError(`${from} frame is not JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw protocolError(`${from} frame is not a JSON object`);
  return value as UncheckedFrame;
}

function decodeMessage(frame: v.InferOutput<typeof msgFrame>): ServerFrame {
  const { seq, sub, id, payload, sentAt } = frame;
  try {
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

function decodeReady(frame: v.InferOutput<typeof readyFrame>): ServerFrame {
  return {
    type: 'ready',
    version: frame.v,
    heartbeatMs: frame.heartbeatMs,
    maxHeartbeatMs: frame.v === DEVICE_WIRE_VERSION ? frame.maxHeartbeatMs : undefined,
    maxAckIds: frame.maxAckIds,
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
      return decodeMessage(parseWithSchema(msgFrame, frame, FRAME_REFUSAL));
    case 'ready':
      return decodeReady(parseWithSchema(readyFrame, frame, FRAME_REFUSAL));
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
  switch (frame.type) {
    case 'ack':
      return parseWithSchema(ackFrame, frame, FRAME_REFUSAL);
    default:
      throw protocolError(`unknown device frame type ${JSON.stringify(frame.type)}`);
  }
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

/** What a device's stream request asks for: where to resume, its wire version and heartbeat. */
export interface StreamRequest {
  afterSeq: number | undefined;
  version: number;
  heartbeatMs: number | undefined;
}

/** The request line and headers of a stream request (node's IncomingMessage fits). */
export interface StreamRequestHead {
  url?: string | undefined;
  headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * Reads everything a stream request carries, once, for either wire: the resume cursor
 * (`Last-Event-ID` on the SSE wire, then `?after=`), the wire version and the heartbeat.
 * INVALID_REQUEST (HTTP 400) for a malformed cursor or heartbeat.
 */
export function readStreamRequest(req: StreamRequestHead, wire: 'ws' | 'events'): StreamRequest {
  const url = req.url ?? '/';
  const header = wire === 'events' ? req.headers['last-event-id'] : undefined;
  const afterSeq = resumeCursorFromRequest(url, Array.isArray(header) ? header[0] : header);
  return { afterSeq, ...streamParametersFromRequest(url) };
}

/** Which stream a device asked for: its set, and, when the caller has read it, the request. */
export interface DeviceStreamTarget {
  /** The secret from the set URL. */
  setSecret: string;
  /** `readStreamRequest` of this request; absent, the handler reads it itself. */
  request?: StreamRequest;
}
