import { FosspushError, type FosspushErrorCode } from '@fosspush/core';

const STATUS_CODES: Readonly<Record<number, FosspushErrorCode>> = {
  400: 'INVALID_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  408: 'TIMEOUT',
  410: 'GONE',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'RATE_LIMITED',
};

/** Error bodies are a short JSON object; a longer one is not read. */
const MAX_ERROR_BODY_CHARS = 2048;

/**
 * The push service's refusal as a typed error. Server errors (5xx) and anything unexpected
 * count as UNAVAILABLE, which callers retry with backoff.
 */
export interface RefusalDetails {
  retryAfterMs?: number;
  /** The `code` of the service's JSON error body. */
  serverCode?: string;
  serverMessage?: string;
}

export function errorFromStatus(status: number, what: string, details: RefusalDetails = {}): FosspushError {
  const code = STATUS_CODES[status] ?? 'UNAVAILABLE';
  const reason = details.serverMessage === undefined ? '' : ` (${details.serverMessage})`;
  const known = Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined));
  return new FosspushError(code, `${what}: the push service answered HTTP ${status}${reason}`, { details: { status, ...known } });
}

/** The `{ code, message }` JSON body the push service sends with a refusal, as details. */
export function refusalDetails(body: string, retryAfterMs: number | undefined): RefusalDetails {
  const details: RefusalDetails = {};
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  try {
    const parsed = JSON.parse(body.slice(0, MAX_ERROR_BODY_CHARS)) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'string') details.serverCode = parsed.code;
    if (typeof parsed.message === 'string') details.serverMessage = parsed.message;
  } catch {
    // Not the service's JSON error body: the status says enough.
  }
  return details;
}

/**
 * Reads a refused response: its status, `Retry-After`, and the `{ code, message }` JSON body
 * the push service sends, kept as details for whoever debugs it.
 */
export async function errorFromResponse(response: Response, what: string, nowMs: number): Promise<FosspushError> {
  const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'), nowMs);
  return errorFromStatus(response.status, what, refusalDetails(await response.text().catch(() => ''), retryAfterMs));
}

/**
 * A refused device stream. Only the push service's own word that the set is gone (its JSON
 * body says NOT_FOUND or GONE) ends a channel: a 404 page from a misconfigured proxy must not
 * make a device forget its subscriptions, so it reads as UNAVAILABLE and is retried.
 */
export function errorFromStreamRefusal(status: number, details: RefusalDetails): FosspushError {
  const error = errorFromStatus(status, 'open the device stream', details);
  if ((error.code === 'NOT_FOUND' || error.code === 'GONE') && details.serverCode !== error.code) {
    return new FosspushError('UNAVAILABLE', `${error.message}, not from the push service`, { details: error.details });
  }
  return error;
}

/**
 * `Retry-After` (RFC 9110 section 10.2.3) in milliseconds from now: delay-seconds or an
 * HTTP-date. Undefined when absent or unreadable, so a bad header never blocks a retry forever.
 */
export function parseRetryAfterMs(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
