import { FosspushError, type FosspushErrorCode, isFosspushError } from '@fosspush/core';

/**
 * JSON-RPC 2.0 envelopes. The numeric codes are the spec's; the fosspush error code rides in
 * `error.data.code` so the SDK rebuilds the same typed FosspushError the daemon threw.
 */
export type JsonRpcId = number | string;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: { code: FosspushErrorCode; details?: Readonly<Record<string, unknown>> };
}

export type JsonRpcResponse =
  | { jsonrpc: '2.0'; id: JsonRpcId | null; result: unknown }
  | { jsonrpc: '2.0'; id: JsonRpcId | null; error: JsonRpcErrorObject };

export const JSONRPC_CODES = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The start of the spec's "server error" range: every other fosspush error. */
  serverError: -32000,
} as const;

function numericCode(code: FosspushErrorCode): number {
  switch (code) {
    case 'PROTOCOL_ERROR':
    case 'FRAME_TOO_LARGE':
      return JSONRPC_CODES.parseError;
    case 'METHOD_NOT_FOUND':
      return JSONRPC_CODES.methodNotFound;
    case 'INVALID_REQUEST':
      return JSONRPC_CODES.invalidParams;
    case 'INTERNAL':
      return JSONRPC_CODES.internalError;
    default:
      return JSONRPC_CODES.serverError;
  }
}

/**
 * An error as it goes on the wire. Anything that is not a FosspushError is a bug in the
 * daemon: its message stays in the daemon's log and the client learns only INTERNAL.
 */
export function toJsonRpcError(error: unknown): JsonRpcErrorObject {
  const known = isFosspushError(error) ? error : new FosspushError('INTERNAL', 'internal daemon error');
  return { code: numericCode(known.code), message: known.message, data: { code: known.code, details: known.details } };
}

export function fromJsonRpcError(error: unknown): FosspushError {
  const object = (typeof error === 'object' && error !== null ? error : {}) as Partial<JsonRpcErrorObject>;
  const message = typeof object.message === 'string' ? object.message : 'the daemon returned an error';
  const data = object.data;
  const code = typeof data?.code === 'string' && /^[A-Z_]+$/.test(data.code) ? data.code : undefined;
  if (code !== undefined) {
    return new FosspushError(code as FosspushErrorCode, message, data?.details ? { details: data.details } : {});
  }
  // A JSON-RPC peer that is not fosspushd: map the standard codes.
  const fallback: FosspushErrorCode =
    object.code === JSONRPC_CODES.methodNotFound ? 'METHOD_NOT_FOUND' : object.code === JSONRPC_CODES.invalidParams ? 'INVALID_REQUEST' : 'PROTOCOL_ERROR';
  return new FosspushError(fallback, message);
}

export type ParsedFrame =
  | { kind: 'request'; id: JsonRpcId; method: string; params: unknown }
  | { kind: 'notification'; method: string; params: unknown }
  | { kind: 'response'; id: JsonRpcId | null; result?: unknown; error?: unknown }
  | { kind: 'invalid'; id: JsonRpcId | null; error: FosspushError };

function isId(value: unknown): value is JsonRpcId {
  return (typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && value.length <= 128);
}

/** Classifies one frame. Never throws: garbage becomes an `invalid` frame with a typed error. */
export function parseFrame(line: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: 'invalid', id: null, error: new FosspushError('PROTOCOL_ERROR', 'frame is not valid JSON') };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // Batches are legal JSON-RPC but nothing here needs them; refusing keeps one frame one call.
    return { kind: 'invalid', id: null, error: new FosspushError('INVALID_REQUEST', 'frame must be one JSON-RPC 2.0 object (batches are not supported)') };
  }
  const frame = value as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown; result?: unknown; error?: unknown };
  const id = isId(frame.id) ? frame.id : null;
  if (frame.jsonrpc !== '2.0') {
    return { kind: 'invalid', id, error: new FosspushError('INVALID_REQUEST', 'frame must have "jsonrpc": "2.0"') };
  }
  if (typeof frame.method === 'string') {
    if (frame.id === undefined) return { kind: 'notification', method: frame.method, params: frame.params };
    if (id === null) return { kind: 'invalid', id: null, error: new FosspushError('INVALID_REQUEST', 'request id must be an integer or a short string') };
    return { kind: 'request', id, method: frame.method, params: frame.params };
  }
  if ('result' in frame || 'error' in frame) {
    return { kind: 'response', id: frame.id === null ? null : id, result: frame.result, error: frame.error };
  }
  return { kind: 'invalid', id, error: new FosspushError('INVALID_REQUEST', 'frame is neither a request nor a response') };
}

/** One frame: the JSON text plus the newline that ends it. */
export function encodeFrame(message: JsonRpcRequest | JsonRpcResponse): string {
  return `${JSON.stringify(message)}\n`;
}
