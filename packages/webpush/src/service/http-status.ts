import { type FosspushError, type FosspushErrorCode, toFosspushError } from '@fosspush/core';

/** `Retry-After` in delta-seconds (RFC 9110 section 10.2.3): a whole number, at least 1. */
export function formatRetryAfter(seconds: number): string {
  return String(Math.max(1, Math.ceil(seconds)));
}

/**
 * The one table from error code to HTTP status for the push service. Codes not listed are
 * server faults (500): a new code must be placed here deliberately to reach a client as 4xx.
 */
export const HTTP_STATUS_BY_CODE: Readonly<Partial<Record<FosspushErrorCode, number>>> = {
  INVALID_REQUEST: 400,
  INVALID_MESSAGE: 400,
  INVALID_TTL: 400,
  INVALID_URGENCY: 400,
  INVALID_TOPIC: 400,
  INVALID_KEY: 400,
  INVALID_TOKEN: 400,
  PROTOCOL_ERROR: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  METHOD_NOT_FOUND: 405,
  TIMEOUT: 408,
  GONE: 410,
  PAYLOAD_TOO_LARGE: 413,
  FRAME_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  CLOSED: 503,
  STORAGE_FULL: 507,
};

export function httpStatusFor(code: FosspushErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}

/** An error as the push service answers it: framework-free, ready to write to any response. */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON: `{ "code", "message", "details"? }`. */
  body: string;
}

/**
 * Turns anything thrown while handling a request into its HTTP answer. Internal errors keep
 * their message out of the body: it may describe the server's insides.
 *
 * @example
 * const { status, headers, body } = errorResponse(error);
 * res.writeHead(status, headers).end(body);
 */
export function errorResponse(thrown: unknown): ErrorResponse {
  const error: FosspushError = toFosspushError(thrown);
  const status = httpStatusFor(error.code);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const retryAfterSeconds = error.details['retryAfterSeconds'];
  if (typeof retryAfterSeconds === 'number') headers['retry-after'] = formatRetryAfter(retryAfterSeconds);
  if (status === 405 && typeof error.details['allow'] === 'string') headers['allow'] = error.details['allow'];
  const exposed = status < 500 || status === 503 || status === 507;
  const payload = exposed
    ? { code: error.code, message: error.message, ...(Object.keys(error.details).length > 0 ? { details: error.details } : {}) }
    : { code: 'INTERNAL', message: 'internal server error' };
  return { status, headers, body: JSON.stringify(payload) };
}
